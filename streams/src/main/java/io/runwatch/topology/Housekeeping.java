package io.runwatch.topology;

import java.time.Duration;
import org.apache.kafka.streams.processor.PunctuationType;

/**
 * How the stateful processors keep time and tidy up, shared by all of them.
 *
 * @param clock             wall clock live, stream (record) time in a backtest
 * @param tick              how often punctuators run (silence checks, expiry)
 * @param seriesRetentionMs a run's series go this long after its end or its last record
 * @param stateRetentionMs  a silent run's detector state goes after this long (an ended run's with its series)
 * @param inputIdleMs       live: a task's input counts as idle (caught up, or stopped) after this long without
 *                          a record; see {@link InputClock}
 */
record Housekeeping(PunctuationType clock, Duration tick, long seriesRetentionMs, long stateRetentionMs,
                    long inputIdleMs) {
}
