package io.runwatch.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.runwatch.topology.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BacktestTest {
    @TempDir
    Path dir;

    private static String eval(String benchmark, long step, Long time) {
        return "{\"run\":\"r\",\"step\":" + step + ",\"benchmark\":\"" + benchmark + "\",\"metric\":\"acc\",\"value\":0.5"
                + (time == null ? "" : ",\"time\":" + time) + "}";
    }

    private List<String> order(String topic, List<String> fileLines) throws Exception {
        Path file = Files.write(dir.resolve("in.jsonl"), fileLines, StandardCharsets.UTF_8);
        return Backtest.readFiles(topic, List.of(file), 0).stream()
                .map(line -> new String(line.bytes(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void aTimelessEvaluationTableIsReplayedCheckpointByCheckpoint() throws Exception {
        List<String> table = List.of(eval("arc", 1000, null), eval("arc", 2000, null), eval("piqa", 1000, null),
                eval("piqa", 2000, null));

        assertThat(order(Topics.EVALS.name(), table)).containsExactly(eval("arc", 1000, null),
                eval("piqa", 1000, null), eval("arc", 2000, null), eval("piqa", 2000, null));
    }

    @Test
    void timedEvaluationsAndTimelessTrainingLogsKeepTheirOwnOrder() throws Exception {
        List<String> timed = List.of(eval("arc", 2000, 5L), eval("arc", 1000, 7L));
        assertThat(order(Topics.EVALS.name(), timed)).containsExactlyElementsOf(timed);

        // A training log whose step goes back is a restart: its file order is the truth.
        List<String> rewound = List.of("{\"run\":\"r\",\"step\":20,\"loss\":3.1}", "{\"run\":\"r\",\"step\":10,\"loss\":3.2}");
        assertThat(order(Topics.METRICS.name(), rewound)).containsExactlyElementsOf(rewound);
    }
}
