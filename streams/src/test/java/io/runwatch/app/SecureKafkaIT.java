package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.topology.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runwatch run} (its own JVM, as an operator starts it) against a broker that accepts only SASL
 * (SCRAM-SHA-512) over TLS, configured through {@code --kafka-config} alone: it pages on a NaN; with a wrong
 * password it says so in one line and /readyz stays non-ready, instead of crashing or hanging.
 */
class SecureKafkaIT {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final String STORE_PASSWORD = "store-secret";

    @TempDir
    Path dir;

    @Test
    void runWorksOverSaslSslAndAWrongPasswordIsOneLineAndNotReady() throws Exception {
        Path keystore = dir.resolve("broker.p12");
        Path cert = dir.resolve("broker.crt");
        run("keytool", "-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        run("keytool", "-exportcert", "-alias", "broker", "-keystore", keystore.toString(), "-storepass",
                STORE_PASSWORD, "-rfc", "-file", cert.toString());

        int brokerPort = EmbeddedKafka.freePort();
        Path kafkaDir = dir.resolve("kafka");
        Properties props = EmbeddedKafka.serverProperties(kafkaDir, brokerPort, EmbeddedKafka.freePort());
        String controller = props.getProperty("controller.quorum.voters").replace("1@", "");
        props.put("listeners", "SASL_SSL://127.0.0.1:" + brokerPort + ",CONTROLLER://" + controller);
        props.put("advertised.listeners", "SASL_SSL://127.0.0.1:" + brokerPort);
        props.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "SASL_SSL");
        props.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        props.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512");
        props.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", jaas("admin", "admin-secret"));
        props.put("ssl.keystore.type", "PKCS12");
        props.put("ssl.keystore.location", keystore.toString());
        props.put("ssl.keystore.password", STORE_PASSWORD);
        props.put("ssl.key.password", STORE_PASSWORD);
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.location", cert.toString());
        try (EmbeddedKafka broker = EmbeddedKafka.start(props, kafkaDir, "127.0.0.1:" + brokerPort, List.of(
                "--add-scram", "SCRAM-SHA-512=[name=admin,password=admin-secret]",
                "--add-scram", "SCRAM-SHA-512=[name=runwatch,password=runwatch-secret]"))) {
            Properties client = clientConfig(cert, "runwatch-secret");
            Path clientFile = dir.resolve("client.properties");
            try (var out = Files.newOutputStream(clientFile)) {
                client.store(out, "runwatch over SASL_SSL");
            }

            long launched = System.nanoTime();
            try (RunProcess good = RunProcess.start(dir.resolve("good"), broker.bootstrapServers(), clientFile)) {
                good.awaitReadyz(200, Duration.ofSeconds(120), body -> true);
                System.out.printf("HEALTH run over SASL_SSL ready %.1f s after launch%n",
                        (System.nanoTime() - launched) / 1e9);
                produce(broker.bootstrapServers(), client, List.of("{\"run\":\"secure\",\"step\":1,\"loss\":3.0}",
                        "{\"run\":\"secure\",\"step\":2,\"loss\":NaN}"));
                assertThat(readAlerts(broker.bootstrapServers(), client, Duration.ofSeconds(60)))
                        .anyMatch(v -> v.contains("\"nonfinite\""));
            }

            Properties wrong = clientConfig(cert, "not-the-password");
            Path wrongFile = dir.resolve("wrong.properties");
            try (var out = Files.newOutputStream(wrongFile)) {
                wrong.store(out, "a wrong password");
            }
            launched = System.nanoTime();
            try (RunProcess bad = RunProcess.start(dir.resolve("bad"), broker.bootstrapServers(), wrongFile)) {
                String readyz = bad.awaitReadyz(503, Duration.ofSeconds(90),
                        body -> body.contains("SaslAuthenticationException"));
                assertThat(readyz).contains("\"name\":\"broker_reachable\",\"ok\":false");
                System.out.printf("HEALTH wrong password: /readyz 503 naming SaslAuthenticationException %.1f s after "
                        + "launch%n", (System.nanoTime() - launched) / 1e9);
                long errorLine = System.nanoTime();
                List<String> lines = bad.awaitLog(l -> l.contains("cannot start on Kafka"), Duration.ofSeconds(60));
                System.out.printf("HEALTH wrong password: the error line within %.1f s after launch%n",
                        (System.nanoTime() - launched) / 1e9);
                System.out.printf("HEALTH wrong password: %d log lines in total from the run process:%n%s%n",
                        lines.size(), String.join("\n", lines));
                List<String> ours = lines.stream().filter(l -> l.contains("cannot start on Kafka")).toList();
                assertThat(ours).hasSize(1);
                assertThat(ours.get(0)).contains("SaslAuthenticationException").contains("/readyz reports not ready");
                assertThat(lines.stream().filter(l -> l.contains("authentication")).toList())
                        .as("the authentication failure is said once, not by every client on every retry")
                        .containsExactlyElementsOf(ours);
                assertThat(bad.alive()).as("still answering, not crashed").isTrue();
                System.out.println("HEALTH wrong password error line: " + ours.get(0));
            }
        }
    }

    private static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    private static Properties clientConfig(Path cert, String password) {
        Properties client = new Properties();
        client.put("security.protocol", "SASL_SSL");
        client.put("sasl.mechanism", "SCRAM-SHA-512");
        client.put("sasl.jaas.config", jaas("runwatch", password));
        client.put("ssl.truststore.type", "PEM");
        client.put("ssl.truststore.location", cert.toString());
        return client;
    }

    private static void produce(String bootstrap, Properties client, List<String> values) {
        Properties props = new Properties();
        props.putAll(client);
        props.put("bootstrap.servers", bootstrap);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            for (String value : values) {
                producer.send(new ProducerRecord<>(Topics.METRICS.name(), "secure", value));
            }
            producer.flush();
        }
    }

    private static List<String> readAlerts(String bootstrap, Properties client, Duration timeout) {
        Properties props = new Properties();
        props.putAll(client);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.ALERTS.name()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline && seen.isEmpty()) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(record.value());
                }
            }
        }
        return seen;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes());
        }
        if (process.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
    }

    /** {@code java io.runwatch.app.Main run ...} in its own JVM, its output in a log file. */
    static final class RunProcess implements AutoCloseable {
        private final Process process;
        private final Path log;
        private final int httpPort;

        private RunProcess(Process process, Path log, int httpPort) {
            this.process = process;
            this.log = log;
            this.httpPort = httpPort;
        }

        static RunProcess start(Path workDir, String bootstrap, Path kafkaConfig) throws IOException {
            Files.createDirectories(workDir);
            int httpPort = EmbeddedKafka.freePort();
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Path log = workDir.resolve("run.log");
            // The shipped logging configuration, not the tests' (log4j2-test.xml would win on this class path).
            Process process = new ProcessBuilder(List.of(java.toString(), "-Xmx384m",
                    "-Dlog4j2.configurationFile=log4j2.xml", "-cp",
                    System.getProperty("java.class.path"), "io.runwatch.app.Main", "run",
                    "--bootstrap-servers", bootstrap, "--kafka-config", kafkaConfig.toString(),
                    "--data-dir", workDir.resolve("data").toString(), "--http-port", String.valueOf(httpPort)))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new RunProcess(process, log, httpPort);
        }

        /** Waits until /readyz answers {@code status}; returns its body. */
        String awaitReadyz(int status, Duration timeout, java.util.function.Predicate<String> body)
                throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            String last = "";
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new AssertionError("run exited: " + String.join("\n", log()));
                }
                try {
                    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + httpPort + "/readyz")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    last = response.body();
                    if (response.statusCode() == status && body.test(last)) {
                        return last;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(250);
            }
            throw new AssertionError("/readyz never answered " + status + "; last: " + last + "\nlog:\n"
                    + String.join("\n", log()));
        }

        List<String> awaitLog(java.util.function.Predicate<String> line, Duration timeout) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                List<String> lines = log();
                if (lines.stream().anyMatch(line)) {
                    Thread.sleep(3_000); // long enough for a repeated line to show
                    return log();
                }
                Thread.sleep(250);
            }
            throw new AssertionError("no such log line; log:\n" + String.join("\n", log()));
        }

        List<String> log() throws IOException {
            return Files.readAllLines(log);
        }

        boolean alive() {
            return process.isAlive();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy(); // SIGTERM: runwatch stops cleanly
            if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        }
    }
}
