package io.runwatch.query;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Asks another runwatch instance, at its {@code application.server}, with the scheme of this instance's own server
 * (https when it serves TLS, trusting its certificate as well as the JVM's CAs) and the caller's own
 * {@code Authorization} header, so every instance checks the same users. Marks each request with
 * {@link QueryService#FORWARDED_BY}: the receiver answers from its own stores and never forwards again.
 */
final class PeerClient {
    /** A peer's answer: any HTTP status counts as an answer; only no answer (refused, timed out) is a failure. */
    record Answer(int status, String body) {
    }

    private final HttpClient client;
    private final String scheme;
    private final Duration timeout;
    private final String self;

    PeerClient(SSLContext tls, Duration timeout, String self) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (tls != null) {
            builder.sslContext(tls);
        }
        this.client = builder.build();
        this.scheme = tls != null ? "https" : "http";
        this.timeout = timeout;
        this.self = self;
    }

    CompletableFuture<Answer> get(HostInfo peer, String pathAndQuery, String authorization) {
        String host = peer.host().contains(":") ? "[" + peer.host() + "]" : peer.host();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(scheme + "://" + host + ":" + peer.port()
                        + pathAndQuery))
                .timeout(timeout)
                .header(QueryService.FORWARDED_BY, self)
                .GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> new Answer(response.statusCode(), response.body()));
    }

    static String name(HostInfo host) {
        return host.host() + ":" + host.port();
    }
}
