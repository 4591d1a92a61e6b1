package io.runwatch.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.runwatch.core.liveness.LivenessMonitor;
import io.runwatch.query.QueryViews.AlertList;
import io.runwatch.query.QueryViews.Episode;
import io.runwatch.query.QueryViews.LocalAlerts;
import io.runwatch.query.QueryViews.LocalRuns;
import io.runwatch.query.QueryViews.RunDetail;
import io.runwatch.query.QueryViews.RunList;
import io.runwatch.query.QueryViews.RunListItem;
import io.runwatch.query.QueryViews.Unreachable;
import io.runwatch.topology.QueryableStores;
import io.runwatch.topology.Topics;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The read-only queries over the state stores, answered by any instance for any run:
 * <pre>
 * GET /runs                 every run known, merged from every instance (each asked for ?local=true)
 * GET /runs/{id}            one run, from the instance that owns its partition (forwarded there)
 * GET /alerts?state=S       open (firing) and/or recently resolved episodes, merged like /runs
 * </pre>
 * Never a wrong answer: while a run's partition has no queryable owner (a rebalance moving it) the answer is 503
 * with {@code Retry-After}; a standby's copy answers only when the active instance does not, flagged
 * {@code "stale": true}; a merged list says which instances and partitions it lacks ({@code "complete": false}).
 */
public final class QueryService {
    /** Set on forwarded requests: the receiver answers from its own stores only (no loops, no second hop). */
    public static final String FORWARDED_BY = "X-Runwatch-Forwarded-By";

    /** A request as the HTTP layer hands it over. */
    public record Request(String path, Map<String, String> params, String authorization, String forwardedBy) {
        boolean forwarded() {
            return forwardedBy != null;
        }
    }

    /** Status, extra headers and a JSON body. */
    public record Response(int status, Map<String, String> headers, String body) {
    }

    private final Supplier<KafkaStreams> streams;
    private final LivenessMonitor liveness;
    /** This instance's advertised address; null when streams.application.server is not set. */
    private final HostInfo self;
    private final String instance;
    private final PeerClient peers;
    private final Duration timeout;
    private final long retryAfterS;

    public QueryService(Supplier<KafkaStreams> streams, LivenessMonitor liveness, String applicationServer,
                        SSLContext peerTls, Duration timeout, long retryAfterS) {
        this.streams = streams;
        this.liveness = liveness;
        String server = applicationServer == null ? "" : applicationServer.trim();
        this.self = server.isEmpty() ? null : HostInfo.buildFromEndpoint(server);
        this.instance = self == null ? "local" : PeerClient.name(self);
        this.peers = new PeerClient(peerTls, timeout, instance);
        this.timeout = timeout;
        this.retryAfterS = retryAfterS;
    }

    public Response handle(Request request) {
        String path = request.path();
        try {
            if (path.equals("/runs") || path.equals("/runs/")) {
                return runs(request);
            }
            if (path.startsWith("/runs/")) {
                return run(request, path.substring("/runs/".length()));
            }
            if (path.equals("/alerts")) {
                return alerts(request);
            }
            return error(404, "not found: try /runs, /runs/{id}, /alerts", null);
        } catch (IllegalStateException | InvalidStateStoreException e) {
            // Streams changed state under the query (closing, a rebalance starting): ask again shortly.
            return unavailable("state moved while answering: " + e.getMessage(), null);
        }
    }

    // ---- GET /runs/{id} ------------------------------------------------------------------------------------

    /**
     * Asks this instance, then the run's owner by the default partitioner, then every other instance: a producer
     * with another partitioner (librdkafka's default, CRC32) puts a run on another partition than the Streams
     * metadata says, so "not in the owner's partition" is no proof of absence. 404 only when every partition was
     * read; else the owner's standby copy, flagged stale; else 503.
     */
    private Response run(Request request, String run) {
        KafkaStreams current = queryable();
        if (current == null) {
            return unavailable(notQueryable(), run);
        }
        KeyQueryMetadata owner = current.queryMetadataForKey(QueryableStores.TRAINING, run,
                Serdes.String().serializer());
        int partitions = partitionCount(current);
        if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE) || partitions == 0) {
            return unavailable("the owner of this run is not known yet (the group is rebalancing)", run);
        }
        int partition = owner.partition();
        LocalStores local = new LocalStores(current, liveness, instance);
        if (isLocal(request)) {
            if ("true".equals(request.params().get("stale"))) {
                return staleCopy(local, run, partition).orElseGet(() -> unavailable(
                        "no copy of partition " + partition + " on " + instance + " knows this run", run));
            }
            LocalSearch mine = localSearch(local, run, partition, partitions);
            return mine.found != null ? mine.found : notFound(run, mine.searched);
        }
        LocalSearch mine = localSearch(local, run, partition, partitions);
        if (mine.found != null) {
            return mine.found;
        }
        Set<Integer> searched = new TreeSet<>(mine.searched);
        List<String> failed = new ArrayList<>();
        String path = "/runs/" + encode(run) + "?local=true";
        HostInfo active = owner.activeHost();
        List<HostInfo> others = new ArrayList<>();
        if (advertised(active) && !active.equals(self)) {
            others.add(active); // asked first, alone: it holds the run unless a producer partitioned otherwise
        }
        for (StreamsMetadata client : current.metadataForAllStreamsClients()) {
            HostInfo host = client.hostInfo();
            if (advertised(host) && !host.equals(self) && !others.contains(host)) {
                others.add(host);
            }
        }
        Map<HostInfo, CompletableFuture<PeerClient.Answer>> calls = new LinkedHashMap<>();
        for (int i = 0; i < others.size(); i++) {
            if (i == 1) {
                // the owner did not have it: ask the rest at once
                for (HostInfo host : others.subList(1, others.size())) {
                    calls.put(host, peers.get(host, path, request.authorization()));
                }
            }
            HostInfo host = others.get(i);
            CompletableFuture<PeerClient.Answer> call = i == 0 ? peers.get(host, path, request.authorization())
                    : calls.get(host);
            try {
                PeerClient.Answer answer = call.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
                if (answer.status() == 200) {
                    return new Response(200, Map.of(), answer.body());
                }
                if (answer.status() == 404) {
                    searched.addAll(QueryViews.MAPPER.readValue(answer.body(), QueryViews.RunNotFound.class)
                            .searchedPartitions());
                } else {
                    failed.add(PeerClient.name(host) + " answered " + answer.status());
                }
            } catch (ExecutionException | TimeoutException | JsonProcessingException e) {
                failed.add(PeerClient.name(host) + ": " + describe(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return unavailable("interrupted", run);
            }
        }
        if (searched.size() >= partitions) {
            return notFound(run, new ArrayList<>(searched));
        }
        if (!searched.contains(partition)) {
            // The owner did not answer (it may be gone, the group not yet told): a standby's copy will do,
            // flagged stale.
            Optional<Response> standbyHere = staleCopy(local, run, partition);
            if (standbyHere.isPresent()) {
                return standbyHere.get();
            }
            for (HostInfo standby : owner.standbyHosts()) {
                if (!advertised(standby) || standby.equals(self)) {
                    continue;
                }
                try {
                    PeerClient.Answer answer = peers.get(standby, "/runs/" + encode(run) + "?stale=true",
                            request.authorization()).get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
                    if (answer.status() == 200) {
                        return new Response(200, Map.of(), answer.body());
                    }
                    failed.add("standby " + PeerClient.name(standby) + " answered " + answer.status());
                } catch (ExecutionException | TimeoutException e) {
                    failed.add("standby " + PeerClient.name(standby) + ": " + describe(e));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return unavailable("interrupted", run);
                }
            }
        }
        List<Integer> missing = missing(partitions, searched);
        return unavailable("not found in the partitions read, and partition(s) " + missing
                + " could not be read" + (failed.isEmpty() ? "" : ": " + String.join("; ", failed)), run);
    }

    private record LocalSearch(Response found, List<Integer> searched) {
    }

    /** The run from this instance's active partitions, the default partitioner's first. */
    private LocalSearch localSearch(LocalStores local, String run, int first, int partitions) {
        List<Integer> searched = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (int i = 0; i < partitions; i++) {
            int p = (first + i) % partitions;
            try {
                Optional<RunDetail> detail = local.run(run, p, false, now);
                if (detail.isPresent()) {
                    return new LocalSearch(ok(detail.get()), List.of(p));
                }
                searched.add(p);
            } catch (InvalidStateStoreException e) {
                // not active here
            }
        }
        return new LocalSearch(null, searched);
    }

    /**
     * The run from a stale copy of its partition here (a standby, or an active task still restoring); empty when
     * this instance has no such copy or the copy does not know the run (it may lag: no proof of absence).
     */
    private Optional<Response> staleCopy(LocalStores local, String run, int partition) {
        try {
            return local.run(run, partition, true, System.currentTimeMillis()).map(QueryService::ok);
        } catch (InvalidStateStoreException e) {
            return Optional.empty();
        }
    }

    private Response notFound(String run, List<Integer> searched) {
        List<Integer> sorted = new ArrayList<>(new TreeSet<>(searched));
        return new Response(404, Map.of(), json(new QueryViews.RunNotFound(
                "run not known (no state: never seen, or expired)", run, instance, sorted)));
    }

    // ---- GET /runs and /alerts: fan-out --------------------------------------------------------------------

    private Response runs(Request request) {
        KafkaStreams current = queryable();
        if (current == null) {
            return unavailable(notQueryable(), null);
        }
        int partitions = partitionCount(current);
        if (partitions == 0) {
            return unavailable("no partition assigned yet (the group is forming)", null);
        }
        LocalStores local = new LocalStores(current, liveness, instance);
        List<Integer> answered = new ArrayList<>();
        List<RunListItem> runs = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            try {
                runs.addAll(local.runs(p));
                answered.add(p);
            } catch (InvalidStateStoreException e) {
                // not active here
            }
        }
        if (isLocal(request)) {
            return ok(new LocalRuns(instance, answered, runs));
        }
        FanOut<LocalRuns> fanOut = fanOut(current, "/runs?local=true", request, LocalRuns.class);
        Set<Integer> covered = new HashSet<>(answered);
        for (LocalRuns part : fanOut.answers) {
            for (RunListItem item : part.runs()) {
                if (!covered.contains(item.partition())) {
                    runs.add(item);
                }
            }
            covered.addAll(part.partitions());
        }
        runs.sort(Comparator.comparing(RunListItem::run));
        List<Integer> missing = missing(partitions, covered);
        return ok(new RunList(missing.isEmpty() && fanOut.unreachable.isEmpty(), partitions, missing,
                fanOut.unreachable, runs));
    }

    private Response alerts(Request request) {
        String state = request.params().getOrDefault("state", "all");
        Predicate<String> wanted = switch (state) {
            case "firing", "resolved" -> state::equals;
            case "all" -> s -> true;
            default -> null;
        };
        if (wanted == null) {
            return error(400, "state must be firing, resolved or all", null);
        }
        KafkaStreams current = queryable();
        if (current == null) {
            return unavailable(notQueryable(), null);
        }
        int partitions = partitionCount(current);
        if (partitions == 0) {
            return unavailable("no partition assigned yet (the group is forming)", null);
        }
        LocalStores local = new LocalStores(current, liveness, instance);
        List<Integer> answered = new ArrayList<>();
        Map<String, Episode> alerts = new LinkedHashMap<>();
        for (int p = 0; p < partitions; p++) {
            try {
                local.alerts(p, wanted).forEach(e -> alerts.putIfAbsent(e.id(), e));
                answered.add(p);
            } catch (InvalidStateStoreException e) {
                // not active here
            }
        }
        if (isLocal(request)) {
            return ok(new LocalAlerts(instance, answered, new ArrayList<>(alerts.values())));
        }
        FanOut<LocalAlerts> fanOut = fanOut(current, "/alerts?local=true&state=" + state, request,
                LocalAlerts.class);
        Set<Integer> covered = new HashSet<>(answered);
        for (LocalAlerts part : fanOut.answers) {
            part.alerts().forEach(e -> alerts.putIfAbsent(e.id(), e));
            covered.addAll(part.partitions());
        }
        List<Episode> sorted = new ArrayList<>(alerts.values());
        sorted.sort(Comparator.comparing(Episode::run).thenComparing(Episode::firedAtMs,
                Comparator.nullsFirst(Comparator.naturalOrder())).thenComparing(Episode::id));
        List<Integer> missing = missing(partitions, covered);
        return ok(new AlertList(missing.isEmpty() && fanOut.unreachable.isEmpty(), partitions, missing,
                fanOut.unreachable, sorted));
    }

    private record FanOut<T>(List<T> answers, List<Unreachable> unreachable) {
    }

    /** Asks every other instance in parallel; one that does not answer in time is listed, not waited for. */
    private <T> FanOut<T> fanOut(KafkaStreams current, String pathAndQuery, Request request, Class<T> type) {
        List<T> answers = new ArrayList<>();
        List<Unreachable> unreachable = new ArrayList<>();
        Map<HostInfo, CompletableFuture<PeerClient.Answer>> calls = new LinkedHashMap<>();
        int notAdvertised = 0;
        for (StreamsMetadata client : current.metadataForAllStreamsClients()) {
            HostInfo host = client.hostInfo();
            if (!advertised(host)) {
                notAdvertised++;
            } else if (!host.equals(self)) {
                calls.put(host, peers.get(host, pathAndQuery, request.authorization()));
            }
        }
        if (notAdvertised > (self == null ? 1 : 0)) {
            unreachable.add(new Unreachable(null, (notAdvertised - (self == null ? 1 : 0))
                    + " instance(s) without streams.application.server cannot be asked"));
        }
        for (Map.Entry<HostInfo, CompletableFuture<PeerClient.Answer>> call : calls.entrySet()) {
            String name = PeerClient.name(call.getKey());
            try {
                PeerClient.Answer answer = call.getValue().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
                if (answer.status() != 200) {
                    unreachable.add(new Unreachable(name, "answered " + answer.status() + ": " + answer.body().trim()));
                    continue;
                }
                answers.add(QueryViews.MAPPER.readValue(answer.body(), type));
            } catch (ExecutionException | TimeoutException e) {
                unreachable.add(new Unreachable(name, describe(e)));
            } catch (JsonProcessingException e) {
                unreachable.add(new Unreachable(name, "unreadable answer: " + e.getOriginalMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                unreachable.add(new Unreachable(name, "interrupted"));
            }
        }
        return new FanOut<>(answers, unreachable);
    }

    /** The input partitions the group knows of (the stores' tasks are one per partition of the input topics). */
    private static int partitionCount(KafkaStreams current) {
        int max = -1;
        for (StreamsMetadata client : current.metadataForAllStreamsClients()) {
            for (Set<TopicPartition> set : List.of(client.topicPartitions(), client.standbyTopicPartitions())) {
                for (TopicPartition tp : set) {
                    if (tp.topic().equals(Topics.METRICS.name())) {
                        max = Math.max(max, tp.partition());
                    }
                }
            }
        }
        return max + 1;
    }

    private static List<Integer> missing(int partitions, Set<Integer> covered) {
        TreeSet<Integer> missing = new TreeSet<>();
        for (int p = 0; p < partitions; p++) {
            if (!covered.contains(p)) {
                missing.add(p);
            }
        }
        return new ArrayList<>(missing);
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /** A local-only request: a forwarded one, or one asking for ?local=true. */
    private static boolean isLocal(Request request) {
        return request.forwarded() || "true".equals(request.params().get("local"));
    }

    private KafkaStreams queryable() {
        KafkaStreams current = streams.get();
        if (current == null) {
            return null;
        }
        KafkaStreams.State state = current.state();
        return state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING ? current : null;
    }

    private String notQueryable() {
        KafkaStreams current = streams.get();
        return "Kafka Streams is " + (current == null ? "not started" : current.state()) + " on " + instance;
    }

    private static boolean advertised(HostInfo host) {
        return host != null && host.port() > 0 && !HostInfo.unavailable().equals(host);
    }

    private static String encode(String run) {
        return URLEncoder.encode(run, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String describe(Exception e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }

    private Map<String, String> retryHeaders(int status) {
        return status == 503 ? Map.of("Retry-After", String.valueOf(retryAfterS)) : Map.of();
    }

    private Response unavailable(String why, String run) {
        return new Response(503, retryHeaders(503), json(new QueryViews.Error(why, run, instance)));
    }

    private Response error(int status, String why, String run) {
        return new Response(status, Map.of(), json(new QueryViews.Error(why, run, instance)));
    }

    private static Response ok(Object view) {
        return new Response(200, Map.of(), json(view));
    }

    private static String json(Object view) {
        try {
            return QueryViews.MAPPER.writeValueAsString(view) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + view.getClass().getSimpleName(), e);
        }
    }
}
