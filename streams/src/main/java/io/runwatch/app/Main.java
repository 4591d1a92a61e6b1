package io.runwatch.app;

import io.runwatch.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar runwatch.jar COMMAND}: run, demo, backtest. Every flag has a RUNWATCH_<FLAG> twin. */
@Command(name = "runwatch", mixinStandardHelpOptions = true, version = "runwatch 0.1.0",
        description = "Streaming monitor for large-model training runs.",
        subcommands = {Main.RunCommand.class, Main.DemoCommand.class, BacktestCommand.class, BenchCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main()).setDefaultValueProvider(new EnvironmentDefaults(System.getenv()));
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    /** Reads a flag's default from RUNWATCH_<FLAG> (e.g. --bootstrap-servers ↔ RUNWATCH_BOOTSTRAP_SERVERS). */
    static final class EnvironmentDefaults implements CommandLine.IDefaultValueProvider {
        private final Map<String, String> env;

        EnvironmentDefaults(Map<String, String> env) {
            this.env = env;
        }

        static String envName(String longOption) {
            return "RUNWATCH_" + longOption.replaceFirst("^--", "").toUpperCase(Locale.ROOT).replace('-', '_');
        }

        @Override
        public String defaultValue(CommandLine.Model.ArgSpec arg) {
            if (arg instanceof CommandLine.Model.OptionSpec option) {
                String value = env.get(envName(option.longestName()));
                if (value != null) {
                    return value;
                }
            }
            return arg.defaultValue();
        }
    }

    /** Flags shared by `run` and `demo` (a picocli mixin). */
    static final class ServiceOptions {
        @Option(names = "--bootstrap-servers", description = "Kafka to join; without it an embedded single-node "
                + "broker is started in-process (env RUNWATCH_BOOTSTRAP_SERVERS).")
        String bootstrapServers;

        @Option(names = "--kafka-config", description = "Properties file of extra Kafka client settings "
                + "(TLS, SASL, ...).")
        Path kafkaConfig;

        @Option(names = "--data-dir", defaultValue = "data", description = "Where the embedded broker and the "
                + "local state stores keep their files (default: ${DEFAULT-VALUE}).")
        Path dataDir;

        @Option(names = "--http-host", defaultValue = "127.0.0.1", description = "Address of /metrics and /healthz "
                + "(default: ${DEFAULT-VALUE}).")
        String httpHost;

        @Option(names = "--http-port", defaultValue = "9464", description = "Port of /metrics and /healthz "
                + "(default: ${DEFAULT-VALUE}; 0 picks a free one).")
        int httpPort;

        @Option(names = "--config", description = "Properties file of runwatch settings (see README).")
        Path config;

        @Option(names = "--set", description = "One setting as key=value; repeatable; wins over file and "
                + "environment.")
        Map<String, String> overrides = new LinkedHashMap<>();

        Settings settings() throws IOException {
            return loadSettings(config, overrides);
        }

        Properties kafkaProperties() throws IOException {
            Properties props = new Properties();
            if (kafkaConfig != null) {
                try (InputStream in = Files.newInputStream(kafkaConfig)) {
                    props.load(in);
                }
            }
            return props;
        }
    }

    static Settings loadSettings(Path config, Map<String, String> overrides) throws IOException {
        Properties file = new Properties();
        if (config != null) {
            try (InputStream in = Files.newInputStream(config)) {
                file.load(in);
            }
        }
        return Settings.load(file, System.getenv(), overrides);
    }

    /** A running monitor, with the embedded broker it started (if any), stopped together. */
    record Service(EmbeddedKafka broker, RunwatchApp app, String bootstrapServers) implements AutoCloseable {
        static Service start(ServiceOptions options) throws IOException {
            Settings settings = options.settings();
            EmbeddedKafka broker = null;
            String bootstrap = options.bootstrapServers;
            if (bootstrap == null || bootstrap.isBlank()) {
                broker = EmbeddedKafka.start(options.dataDir.resolve("kafka"));
                bootstrap = broker.bootstrapServers();
                System.err.println("runwatch: embedded Kafka broker at " + bootstrap);
            }
            RunwatchApp app = RunwatchApp.start(settings, new RunwatchApp.Options(bootstrap,
                    options.kafkaProperties(), RunwatchApp.defaultStateDir(options.dataDir), options.httpHost,
                    options.httpPort));
            System.err.println("runwatch: metrics at http://" + options.httpHost + ":" + app.httpPort() + "/metrics");
            return new Service(broker, app, bootstrap);
        }

        @Override
        public void close() {
            app.close();
            if (broker != null) {
                broker.close();
            }
        }
    }

    /** Blocks until SIGTERM/SIGINT, then closes {@code service} cleanly. */
    static void runUntilSignalled(AutoCloseable service) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.close();
            } catch (Exception e) {
                System.err.println("runwatch: error while stopping: " + e);
            } finally {
                stopped.countDown();
            }
        }, "runwatch-shutdown"));
        stopped.await();
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run the monitor (embedded broker unless --bootstrap-servers is given).")
    static final class RunCommand implements Callable<Integer> {
        @CommandLine.Mixin
        ServiceOptions options;

        @Override
        public Integer call() throws Exception {
            runUntilSignalled(Service.start(options));
            return 0;
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Run the monitor and replay bundled real training logs and evaluations into it.")
    static final class DemoCommand implements Callable<Integer> {
        @CommandLine.Mixin
        ServiceOptions options;

        @Option(names = "--steps-per-second", defaultValue = "200",
                description = "Replay speed in training steps per second (default: ${DEFAULT-VALUE}).")
        double stepsPerSecond;

        @Override
        public Integer call() throws Exception {
            Service service = Service.start(options);
            Thread replay = new Thread(() -> {
                try {
                    new DemoReplay(service.bootstrapServers(), options.kafkaProperties(), stepsPerSecond).run();
                } catch (Exception e) {
                    System.err.println("runwatch demo: replay failed: " + e);
                }
            }, "runwatch-demo-replay");
            replay.setDaemon(true);
            replay.start();
            runUntilSignalled(() -> {
                replay.interrupt();
                service.close();
            });
            return 0;
        }
    }

}
