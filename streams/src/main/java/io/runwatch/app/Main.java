package io.runwatch.app;

import io.runwatch.config.Settings;
import io.runwatch.metrics.MetricsServer;
import io.runwatch.metrics.WebConfig;
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

/** {@code java -jar runwatch.jar COMMAND}: run, demo, backtest, tail, import-evals, bench. Every flag has a RUNWATCH_<FLAG> twin. */
@Command(name = "runwatch", mixinStandardHelpOptions = true, version = "runwatch 0.1.0",
        description = "Streaming monitor for large-model training runs.",
        subcommands = {Main.RunCommand.class, Main.DemoCommand.class, BacktestCommand.class, TailCommand.class,
                ImportEvalsCommand.class, BenchCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main()).setDefaultValueProvider(new EnvironmentDefaults(System.getenv()))
                .setExecutionExceptionHandler(Main::operatorMistake);
    }

    /**
     * An operator's mistake (a missing or unreadable file, an unknown or invalid setting, a bad web config) is one
     * line on stderr and exit code 2, never a stack trace; anything else is a bug and propagates.
     */
    static int operatorMistake(Exception e, CommandLine cli, CommandLine.ParseResult parsed) throws Exception {
        String line = operatorMistakeLine(e);
        if (line == null) {
            throw e;
        }
        cli.getErr().println("runwatch: " + line);
        cli.getErr().flush();
        return 2;
    }

    static String operatorMistakeLine(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.file.FileSystemException f) {
                String reason = f instanceof java.nio.file.NoSuchFileException ? "no such file"
                        : f instanceof java.nio.file.AccessDeniedException ? "permission denied"
                        : f.getReason() != null ? f.getReason() : f.getClass().getSimpleName();
                return "cannot read " + f.getFile() + ": " + reason;
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException && t.getMessage() != null) {
                return t.getMessage();
            }
        }
        return null;
    }

    /** {@code file} if it is a readable regular file, else the FileSystemException that names it. */
    static Path readableFile(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.FileSystemException(file.toString(), null, "not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new java.nio.file.AccessDeniedException(file.toString());
        }
        return file;
    }

    /** The environment twins of every flag of every command: the RUNWATCH_ names that are not settings. */
    static java.util.Set<String> flagEnvNames() {
        java.util.Set<String> names = new java.util.HashSet<>();
        CommandLine root = new CommandLine(new Main());
        java.util.List<CommandLine> commands = new java.util.ArrayList<>(root.getSubcommands().values());
        commands.add(root);
        for (CommandLine command : commands) {
            for (CommandLine.Model.OptionSpec option : command.getCommandSpec().options()) {
                names.add(EnvironmentDefaults.envName(option.longestName()));
            }
        }
        return names;
    }

    /** Null when the runbook link of alerts is absolute, else the warning `run` prints. */
    static String runbookWarning(Settings settings) {
        String base = settings.string(Settings.RUNBOOK_BASE_URL);
        try {
            java.net.URI uri = new java.net.URI(base);
            if (uri.isAbsolute() && uri.getHost() != null) {
                return null;
            }
        } catch (java.net.URISyntaxException e) {
            // not a URL at all: warn below
        }
        return "warning: alerts.runbook.base.url=" + base + " is not an absolute URL, so the runbook link of "
                + "every alert is dead in Alertmanager, Slack or a pager; set it to where alerts/runbook.md is "
                + "served, e.g. https://git.example.com/ml/runwatch/blob/main/alerts/runbook.md";
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

        @Option(names = "--web-config-file", description = "YAML web config in the Prometheus exporters' format: "
                + "tls_server_config {cert_file, key_file} and basic_auth_users {user: bcrypt hash}.")
        Path webConfigFile;

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
                try (InputStream in = Files.newInputStream(readableFile(kafkaConfig))) {
                    props.load(in);
                }
            }
            return props;
        }
    }

    static Settings loadSettings(Path config, Map<String, String> overrides) throws IOException {
        return loadSettings(config, overrides, System.getenv());
    }

    static Settings loadSettings(Path config, Map<String, String> overrides, Map<String, String> env)
            throws IOException {
        Properties file = new Properties();
        if (config != null) {
            try (InputStream in = Files.newInputStream(readableFile(config))) {
                file.load(in);
            }
        }
        return Settings.load(file, env, overrides, flagEnvNames());
    }

    /** A running monitor, with the embedded broker it started (if any), stopped together. */
    record Service(EmbeddedKafka broker, RunwatchApp app, String bootstrapServers) implements AutoCloseable {
        static Service start(ServiceOptions options) throws IOException {
            Settings settings = options.settings();
            Properties kafkaProperties = options.kafkaProperties();
            WebConfig web = options.webConfigFile == null ? WebConfig.none() : WebConfig.load(
                    readableFile(options.webConfigFile));
            String runbookWarning = runbookWarning(settings);
            if (runbookWarning != null) {
                System.err.println("runwatch: " + runbookWarning);
            }
            EmbeddedKafka broker = null;
            String bootstrap = options.bootstrapServers;
            if (bootstrap == null || bootstrap.isBlank()) {
                broker = EmbeddedKafka.start(options.dataDir.resolve("kafka"));
                bootstrap = broker.bootstrapServers();
                System.err.println("runwatch: embedded Kafka broker at " + bootstrap + " (for trying runwatch out; "
                        + "give --bootstrap-servers for real use)");
            }
            RunwatchApp app = RunwatchApp.start(settings, new RunwatchApp.Options(bootstrap, kafkaProperties,
                    RunwatchApp.defaultStateDir(options.dataDir), options.httpHost, options.httpPort, web));
            String bindWarning = MetricsServer.bindWarning(options.httpHost, web);
            if (bindWarning != null) {
                System.err.println("runwatch: " + bindWarning);
            }
            System.err.println("runwatch: metrics at http" + (web.tls() ? "s" : "") + "://" + options.httpHost + ":"
                    + app.httpPort() + "/metrics, health at /healthz and /readyz");
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
                    new DemoReplay(service.bootstrapServers(), options.kafkaProperties(), stepsPerSecond,
                            options.dataDir.resolve("demo-logs")).run();
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
