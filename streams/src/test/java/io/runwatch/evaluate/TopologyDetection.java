package io.runwatch.evaluate;

import io.runwatch.app.Backtest;
import io.runwatch.config.Settings;
import io.runwatch.contract.InputJson;
import io.runwatch.core.Alert;
import io.runwatch.core.RunInput;
import io.runwatch.topology.Topics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Detection through the production path, exactly as {@code runwatch backtest} runs it: each input is written
 * in the input contract, parsed, and replayed through {@code RunwatchTopology} (alert lifecycle included) in a
 * TopologyTestDriver on record time.
 */
public final class TopologyDetection implements Detection {
    private final Settings settings;

    public TopologyDetection(Settings settings) {
        this.settings = settings;
    }

    @Override
    public List<Alert> detect(List<RunInput> inputsInTimeOrder) {
        List<Backtest.Line> lines = new ArrayList<>(inputsInTimeOrder.size());
        long index = 0;
        for (RunInput input : inputsInTimeOrder) {
            String topic = input.metric() != null ? Topics.METRICS.name()
                    : input.event() != null ? Topics.EVENTS.name() : Topics.EVALS.name();
            lines.add(new Backtest.Line(topic, Math.max(0, input.timeMs()), 0, index++,
                    InputJson.write(input).getBytes(StandardCharsets.UTF_8)));
        }
        return new Backtest(settings).replayInOrder(lines, alert -> { }).alerts();
    }
}
