package io.runwatch.evaluate;

import io.runwatch.core.AlertType;
import io.runwatch.core.MetricPoint;
import io.runwatch.core.RunConfig;
import io.runwatch.core.RunEvent;
import io.runwatch.core.RunInput;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded cluster of simulated training runs for the liveness evaluation: varying record intervals (2–60 s)
 * and jitter, three ways of saving checkpoints, declared and undeclared evaluation pauses, and injected faults
 * (stops, hangs that resume, slowdowns of 10–50 %, fast and slow restart loops, occasional restarts). All runs
 * share one time axis, so a silent run is still ticked by the others' records, as in a backtest.
 */
final class SyntheticLivenessSuite {
    static final long T0 = 1_700_000_000_000L;
    static final long HOUR = 3_600_000L;
    static final long MIN = 60_000L;
    /** Every run is simulated up to this offset from T0; faults happen well before it. */
    static final long SUITE_END = T0 + 8 * HOUR;

    enum Kind { healthy, ended, stop, hang_resume, slowdown, restart_loop_fast, restart_loop_slow, occasional_restarts }

    /** How a trainer tells about checkpoint saves. */
    enum SaveStyle {
        /** checkpoint event, then the save pause (the contract's expectation) */
        event_before_save,
        /** expect_next_within_s declared before the save, checkpoint event after it */
        declared_save,
        /** checkpoint event only after the save, nothing declared: the cadence must be learned */
        event_after_save
    }

    /** A period without step records; {@code fault} = a hang or stop that must page, else a crash (may page). */
    record Silence(long fromMs, long toMs, boolean fault) {
    }

    /** Ground truth: an alert of {@code type} is due from {@code onsetMs}; magnitude = slowdown fraction. */
    record Incident(AlertType type, long onsetMs, double magnitude) {
    }

    record Scenario(String run, Kind kind, SaveStyle saves, double recordIntervalS, double jitter, long startMs,
                    List<Incident> incidents, List<Silence> silences, int records) {
    }

    record Suite(long seed, List<Scenario> scenarios, List<RunInput> inputs) {
        double runHours() {
            return scenarios.stream().mapToDouble(s -> (SUITE_END - s.startMs()) / (double) HOUR).sum();
        }
    }

    static Suite generate(long seed, int runsPerKind) {
        List<Scenario> scenarios = new ArrayList<>();
        List<RunInput> inputs = new ArrayList<>();
        SplittableRandom master = new SplittableRandom(seed);
        int index = 0;
        for (Kind kind : Kind.values()) {
            int count = kind == Kind.slowdown ? 2 * runsPerKind : runsPerKind;
            for (int i = 0; i < count; i++) {
                // slowdowns spread evenly over 10–50 % so every magnitude is represented
                double slowdown = 0.10 + 0.40 * i / Math.max(1, count - 1);
                Trainer trainer = new Trainer(String.format("%s-%02d", kind, i), kind, master.split(), index++);
                scenarios.add(trainer.simulate(slowdown));
                inputs.addAll(trainer.out);
            }
        }
        inputs.sort(Comparator.comparingLong(RunInput::timeMs)); // stable: a run's own order is kept
        return new Suite(seed, List.copyOf(scenarios), List.copyOf(inputs));
    }

    /** Simulates one trainer, writing its records to {@link #out}. */
    private static final class Trainer {
        final String run;
        final Kind kind;
        final SplittableRandom random;
        final List<RunInput> out = new ArrayList<>();
        final List<Incident> incidents = new ArrayList<>();
        final List<Silence> silences = new ArrayList<>();
        final SaveStyle saves;
        final double intervalS;
        final double jitter;
        final int stepsPerRecord;
        final int throughputField; // 0 tokens/s, 1 step time, 2 none
        final double tokensPerStep;
        final int recordsPerSave;
        /** This run's usual save time; each save takes 0.6–1.6 × it (storage load varies). */
        final double typicalSaveS;
        final int recordsPerEval;
        final boolean declaresEvals;
        long t;
        long step;
        long lastSaveStep = -1;
        int recordsSinceSave;
        int recordsSinceEval;
        double slowFactor = 1;
        boolean savesEnabled = true;

        Trainer(String run, Kind kind, SplittableRandom random, int index) {
            this.run = run;
            this.kind = kind;
            this.random = random;
            this.saves = SaveStyle.values()[index % 3];
            this.intervalS = Math.exp(uniform(Math.log(2), Math.log(60)));
            this.jitter = uniform(0.02, 0.15);
            this.stepsPerRecord = random.nextInt(3) == 0 ? 10 : 1;
            this.throughputField = random.nextInt(3);
            this.tokensPerStep = 1 << (19 + random.nextInt(4));
            this.recordsPerSave = Math.max(5, (int) (uniform(30, 90) * 60 / intervalS));
            // saves announced only afterwards must be short, else even a careful monitor pages the first one
            this.typicalSaveS = saves == SaveStyle.event_after_save ? uniform(20, 70) : uniform(60, 600);
            this.recordsPerEval = Math.max(5, (int) (uniform(60, 150) * 60 / intervalS));
            this.declaresEvals = random.nextBoolean();
            this.t = T0 + (long) uniform(0, 30 * MIN);
        }

        Scenario simulate(double slowdown) {
            long startMs = t;
            start(null);
            switch (kind) {
                case healthy -> runUntil(SUITE_END);
                case ended -> {
                    runUntil(T0 + 4 * HOUR);
                    out.add(RunInput.of(RunEvent.end(run, step, t + 1_000, "completed")));
                }
                case stop -> {
                    runUntil(T0 + (long) uniform(2 * HOUR, 5 * HOUR));
                    stopHere();
                }
                case hang_resume -> {
                    runUntil(T0 + (long) uniform(2 * HOUR, 4 * HOUR));
                    long from = t;
                    t += (long) uniform(20 * MIN, 60 * MIN);
                    record(0);
                    silences.add(new Silence(from, t, true));
                    incidents.add(new Incident(AlertType.stall, from, 0));
                    runUntil(SUITE_END);
                }
                case slowdown -> {
                    runUntil(T0 + (long) uniform(2 * HOUR, 3 * HOUR));
                    slowFactor = 1 / (1 - slowdown);
                    incidents.add(new Incident(AlertType.throughput_drop, t, slowdown));
                    runUntil(SUITE_END);
                }
                case restart_loop_fast -> restartLoop(6, 90_000, 3 * MIN, true, 5);
                case restart_loop_slow -> restartLoop(4, 20 * MIN, 40 * MIN, false, 3);
                case occasional_restarts -> {
                    for (int crash = 0; crash < 2; crash++) {
                        runUntil(t + (long) uniform(2 * HOUR, 3 * HOUR));
                        save(uniform(60, 120));
                        runUntil(t + (long) uniform(10 * MIN, 40 * MIN));
                        crashAndRestart(random.nextBoolean());
                    }
                    runUntil(SUITE_END);
                }
                default -> throw new IllegalStateException(kind.name());
            }
            int records = (int) out.stream().filter(i -> i.metric() != null).count();
            return new Scenario(run, kind, saves, intervalS, jitter, startMs, List.copyOf(incidents),
                    List.copyOf(silences), records);
        }

        /** A crash loop: {@code restarts} crashes after {@code minUp}–{@code maxUp} of training each. */
        private void restartLoop(int restarts, long minUp, long maxUp, boolean saveEachTime, int stormAt) {
            runUntil(T0 + (long) uniform(2 * HOUR, 3 * HOUR));
            save(uniform(30, 60));
            savesEnabled = false;
            boolean withStartEvents = random.nextBoolean();
            List<Long> restartTimes = new ArrayList<>();
            for (int crash = 1; crash <= restarts; crash++) {
                runUntil(t + (long) uniform(minUp, maxUp));
                if (saveEachTime) {
                    save(uniform(10, 30));
                    runUntil(t + (long) uniform(20_000, 60_000));
                }
                restartTimes.add(crashAndRestart(withStartEvents));
            }
            // ground truth by the rule itself: 5 restarts within 30 min, or 3 in a row without a newer checkpoint
            for (int i = 0; i < restartTimes.size(); i++) {
                boolean fiveInHalfHour = i >= 4 && restartTimes.get(i) - restartTimes.get(i - 4) <= 30 * MIN;
                if (fiveInHalfHour || (!saveEachTime && i + 1 == stormAt)) {
                    incidents.add(new Incident(AlertType.restart_storm, restartTimes.get(i), 0));
                    break;
                }
            }
            savesEnabled = true;
            runUntil(SUITE_END);
        }

        /**
         * The job dies, comes back after a short downtime and resumes from the newest save.
         *
         * @return when the restart becomes visible: the start event, else the first (rewound) step record
         */
        private long crashAndRestart(boolean withStartEvent) {
            long lastRecordMs = t;
            t += (long) uniform(20_000, 90_000);
            long visibleMs = t;
            long resumeStep = Math.max(lastSaveStep, 0);
            if (withStartEvent) {
                out.add(RunInput.of(RunEvent.start(run, t, RunConfig.resumedFrom(resumeStep))));
            }
            t += (long) uniform(30_000, 90_000); // load the checkpoint, compile
            step = resumeStep;
            record(0);
            if (!withStartEvent) {
                visibleMs = t;
            }
            silences.add(new Silence(lastRecordMs, t, false));
            recordsSinceSave = 0;
            return visibleMs;
        }

        /** No record after this point (the job hung or died without an end event). */
        private void stopHere() {
            int how = random.nextInt(3);
            if (how == 1 && saves == SaveStyle.event_before_save) {
                out.add(RunInput.of(RunEvent.checkpoint(run, step, t + 500))); // hung in the save
            } else if (how == 2) {
                t += (long) (intervalS * 1000);
                emit(uniform(300, 900)); // hung in a declared evaluation
            }
            silences.add(new Silence(t, Long.MAX_VALUE, true));
            incidents.add(new Incident(AlertType.stall, t, 0));
        }

        private void start(Long resumedFrom) {
            out.add(RunInput.of(RunEvent.start(run, t, resumedFrom == null ? RunConfig.EMPTY
                    : RunConfig.resumedFrom(resumedFrom))));
            t += (long) uniform(30_000, 120_000);
            record(0);
        }

        private void runUntil(long untilMs) {
            while (t < untilMs) {
                if (savesEnabled && recordsSinceSave >= recordsPerSave) {
                    save(typicalSaveS * uniform(0.6, 1.6));
                } else if (recordsSinceEval >= recordsPerEval) {
                    evaluate();
                } else {
                    record(0);
                }
            }
        }

        /** One step record after an ordinary interval (jitter, a rare slow step) plus {@code extraS}. */
        private void record(double extraS) {
            double dt = intervalS * slowFactor * Math.exp(jitter * random.nextGaussian());
            if (random.nextDouble() < 0.003) {
                dt *= uniform(1.5, 3); // the odd slow step: GC, data loader, network
            }
            t += (long) ((dt + extraS) * 1000);
            step += stepsPerRecord;
            recordsSinceSave++;
            recordsSinceEval++;
            emit(-1, dt + extraS);
        }

        private void emit(double declaredS) {
            emit(declaredS, intervalS);
        }

        private void emit(double declaredS, double actualIntervalS) {
            Double tokensPerS = throughputField == 0 ? tokensPerStep * stepsPerRecord / actualIntervalS : null;
            Double stepTimeS = throughputField == 1 ? actualIntervalS / stepsPerRecord : null;
            MetricPoint point = MetricPoint.ofLoss(run, step, t, 2.5).withThroughput(tokensPerS, stepTimeS)
                    .withExpectNextWithinS(declaredS > 0 ? declaredS : null);
            out.add(RunInput.of(point));
        }

        private void save(double pauseS) {
            recordsSinceSave = 0;
            lastSaveStep = step;
            switch (saves) {
                case event_before_save -> {
                    out.add(RunInput.of(RunEvent.checkpoint(run, step, t + 500)));
                    record(pauseS);
                }
                case declared_save -> {
                    // the record announcing the save: the trainer over-estimates a little
                    t += (long) (intervalS * 1000);
                    step += stepsPerRecord;
                    lastSaveStep = step;
                    emit(pauseS * uniform(1.0, 1.5) + intervalS);
                    out.add(RunInput.of(RunEvent.checkpoint(run, step, t + (long) (pauseS * 1000))));
                    record(pauseS);
                }
                case event_after_save -> {
                    out.add(RunInput.of(RunEvent.checkpoint(run, step, t + (long) (pauseS * 1000))));
                    record(pauseS);
                }
                default -> throw new IllegalStateException();
            }
        }

        /** An evaluation pause: long and declared, or short and undeclared. */
        private void evaluate() {
            recordsSinceEval = 0;
            if (declaresEvals) {
                double pauseS = uniform(300, 1_500);
                t += (long) (intervalS * 1000);
                step += stepsPerRecord;
                emit(pauseS * uniform(1.0, 1.3) + intervalS);
                record(pauseS);
            } else {
                record(uniform(20, 80));
            }
        }

        private double uniform(double low, double high) {
            return low + (high - low) * random.nextDouble();
        }
    }
}
