package io.runwatch.topology;

import java.time.Duration;
import org.apache.kafka.streams.processor.PunctuationType;

/**
 * How the stateful processors keep time and tidy up, shared by all of them.
 *
 * @param clock             wall clock live, stream (record) time in a backtest
 * @param tick              how often punctuators run (silence checks, expiry)
 * @param seriesRetentionMs a run's evaluation series go this long after its last evaluation, an ended run's state
 *                          this long after its end
 * @param stateRetentionMs  a silent run's detector state goes after this long (an ended run's after the above)
 * @param inputIdleMs       live: a task's input counts as idle (caught up, or stopped) after this long without
 *                          a record; see {@link InputClock}
 * @param finishedSeriesMs  a run's training series go this long after its end event
 * @param idleSeriesMs      a run's training series go this long after its last record
 * @param maxDueRunsPerTick live: runs one punctuation judges at most; the rest follow in short slices
 */
record Housekeeping(PunctuationType clock, Duration tick, long seriesRetentionMs, long stateRetentionMs,
                    long inputIdleMs, long finishedSeriesMs, long idleSeriesMs, int maxDueRunsPerTick) {
}
