package io.runwatch.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.contract.InputParser;
import io.runwatch.e2e.RepoRoot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code deploy/client/runwatch_client.py} with the real Python interpreter: Debian's {@code /usr/bin/python3}
 * (where {@code python3-confluent-kafka} lives) when present, else {@code python3} on the PATH.
 */
final class PythonClient {
    static final String RUN = "py-client-run";

    /** A training loop as a trainer would write it: every kind of record, and NaN/Infinity where a run breaks. */
    static final String TRAINING_SCRIPT = """
            import math, sys
            sys.path.insert(0, sys.argv[1])
            from runwatch_client import RunwatchClient

            mode, target = sys.argv[2], sys.argv[3]
            if mode == "path":
                rw = RunwatchClient("%1$s", path=target)
            elif mode == "directory":
                rw = RunwatchClient("%1$s", directory=target)
            elif mode == "stdout":
                rw = RunwatchClient("%1$s")
            else:
                rw = RunwatchClient("%1$s", stream=None, bootstrap_servers=target)
            rw.start(config={"num_params": 124e6, "adam_eps": 1e-8, "lr_max": 6e-4, "total_steps": 100,
                             "warmup_steps": 10, "precision": "bf16"})
            for step in range(10, 60, 10):
                rw.step(step, loss=4.0 - step / 100, grad_norm=0.9, lr=6e-4, tokens_per_s=1.2e5, step_time_s=0.41,
                        loss_scale=65536.0, skipped_steps=0, tokens=step * 524288,
                        groups={"layers.0.attn": {"grad_norm": 0.02, "update_rms_over_lr": 0.7, "param_norm": 11.5}})
            rw.checkpoint(50)
            rw.eval(50, "arc_easy", 0.43, metric="acc", stderr=0.0101, n=2376)
            rw.eval(50, "lambada_openai", 38.2, metric="ppl", higher_is_better=False)
            # A non-finite score cannot be sent: counted and reported, and training goes on.
            assert rw.eval(50, "broken", float("nan")) is False and rw.nonfinite_evals == 1
            rw.step(60, loss=float("nan"), grad_norm=float("inf"), skipped_steps=1, loss_scale=32768.0)
            rw.step(60, val_loss=2.5)
            rw.end(60, status="failed")
            rw.close()
            print("sent", rw.sent, file=sys.stderr)
            """.formatted(RUN);

    /** start, 5 steps, checkpoint, 2 evals, the NaN step, the val_loss step, end: 7 metrics, 2 evals, 3 events. */
    static final int RECORDS = 12;

    private PythonClient() {
    }

    static String interpreter() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    static boolean canImportConfluentKafka() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(interpreter(), "-c", "import confluent_kafka").redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    /** Runs the script; returns its stdout. Fails the test on a non-zero exit, with the script's stderr. */
    static String run(Path workDir, String mode, String target) throws IOException, InterruptedException {
        Path script = workDir.resolve("train.py");
        Files.writeString(script, TRAINING_SCRIPT, StandardCharsets.UTF_8);
        Path stderr = workDir.resolve("stderr.txt");
        Process p = new ProcessBuilder(interpreter(), script.toString(),
                RepoRoot.find().resolve("deploy/client").toString(), mode, target)
                .redirectError(stderr.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("python finishes").isTrue();
        assertThat(p.exitValue()).as(Files.readString(stderr)).isZero();
        return out;
    }

    /** The topic a contract line belongs on, by its shape (what `tail --format jsonl` does too). */
    static InputParser.Kind kindOf(String line) {
        if (line.contains("\"type\":")) {
            return InputParser.Kind.EVENTS;
        }
        return line.contains("\"benchmark\":") ? InputParser.Kind.EVALS : InputParser.Kind.METRICS;
    }

    static List<String> lines(String text) {
        List<String> lines = new ArrayList<>();
        text.lines().filter(l -> !l.isBlank()).forEach(lines::add);
        return lines;
    }
}
