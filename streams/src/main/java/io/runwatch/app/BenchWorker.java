package io.runwatch.app;

import io.runwatch.bench.IdentityApp;
import io.runwatch.bench.InstanceProcess;
import io.runwatch.config.Settings;
import io.runwatch.topology.Topics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * One instance of the bench's scale-out section, in a JVM of its own: {@code runwatch bench} starts one per
 * instance and drives it on stdin, one command a line, one reply a line on stdout ({@link InstanceProcess}):
 * <ul>
 *   <li>{@code start identity|runwatch APPLICATION_ID THREADS STATE_DIR}: starts that application paused (it joins
 *       its group and takes partitions, processes nothing)</li>
 *   <li>{@code state}: the Kafka Streams state of what runs ({@code NONE} when nothing does)</li>
 *   <li>{@code resume}: starts processing</li>
 *   <li>{@code stop}: closes it, leaving the group</li>
 * </ul>
 * It exits when its stdin closes (the bench ended, however it ended). Usage, as the bench builds it:
 * {@code java -cp CLASSPATH io.runwatch.app.BenchWorker SETTINGS_FILE KAFKA_CONFIG_FILE BOOTSTRAP_SERVERS}.
 */
final class BenchWorker {
    private final BenchCommand.Launcher launcher;
    private RunwatchApp runwatch;
    private IdentityApp identity;

    private BenchWorker(BenchCommand.Launcher launcher) {
        this.launcher = launcher;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: BenchWorker SETTINGS_FILE KAFKA_CONFIG_FILE BOOTSTRAP_SERVERS");
            System.exit(2);
        }
        Map<String, String> values = new LinkedHashMap<>();
        read(Path.of(args[0])).forEach((k, v) -> values.put((String) k, (String) v));
        // Every value is in the file, resolved by the bench from its own file, environment and flags.
        Settings settings = Settings.load(new Properties(), Map.of(), values);
        BenchWorker worker = new BenchWorker(new BenchCommand.Launcher(settings, args[2], read(Path.of(args[1]))));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                String reply;
                try {
                    reply = "ok" + worker.handle(line.trim().split(" "));
                } catch (Exception e) {
                    e.printStackTrace();
                    reply = "error " + e.toString().replace('\n', ' ');
                }
                out.println(InstanceProcess.REPLY + reply);
            }
        } finally {
            worker.stop();
        }
        System.exit(0);
    }

    private static Properties read(Path file) throws IOException {
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
        }
        return props;
    }

    /** Carries out one command; returns what follows "ok" in the reply. */
    private String handle(String[] command) throws IOException {
        switch (command[0]) {
            case InstanceProcess.START -> {
                if (command.length != 5) {
                    throw new IllegalArgumentException("start takes KIND APPLICATION_ID THREADS STATE_DIR");
                }
                if (runwatch != null || identity != null) {
                    throw new IllegalStateException("an application is running already; stop it first");
                }
                BenchCommand.Launcher withThreads = launcher.withThreads(Integer.parseInt(command[3]));
                Path stateDir = Files.createDirectories(Path.of(command[4]));
                switch (command[1]) {
                    case InstanceProcess.RUNWATCH -> runwatch = withThreads.start(command[2], stateDir, true);
                    case InstanceProcess.IDENTITY -> identity = new IdentityApp(Topics.METRICS.name(),
                            withThreads.streamsProperties(command[2], stateDir), true);
                    default -> throw new IllegalArgumentException("unknown application " + command[1]);
                }
                return "";
            }
            case InstanceProcess.STATE -> {
                return " " + (runwatch != null ? runwatch.state() : identity != null ? identity.state() : "NONE");
            }
            case InstanceProcess.RESUME -> {
                if (runwatch != null) {
                    runwatch.resume();
                } else if (identity != null) {
                    identity.resume();
                } else {
                    throw new IllegalStateException("nothing to resume");
                }
                return "";
            }
            case InstanceProcess.STOP -> {
                stop();
                return "";
            }
            default -> throw new IllegalArgumentException("unknown command " + command[0]);
        }
    }

    private void stop() {
        if (runwatch != null) {
            runwatch.close();
            runwatch = null;
        }
        if (identity != null) {
            identity.close();
            identity = null;
        }
    }
}
