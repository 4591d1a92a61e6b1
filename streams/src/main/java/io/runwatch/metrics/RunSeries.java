package io.runwatch.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The training-side series of one run (step values, parameter groups, loss-spike, skipped-step and liveness
 * numbers) as plain fields, created once per run and written by field stores on every record: no meter, no tag
 * object, no map lookup by a rendered key. {@link Export} renders every run's values on a scrape. Owned by
 * {@link RunwatchMetrics}, which alone creates, writes and removes them.
 *
 * <p>Thread use: one stream thread writes a run (its task's), the HTTP thread reads on a scrape. Values are written
 * before the volatile {@code present} mask, and read after it, so a scrape sees whole records; a group is published
 * by replacing the (copy-on-write) group array.
 */
final class RunSeries {
    /** The per-run values, in exposition order. A counter's name is given without the {@code _total} suffix. */
    enum Value {
        STEP("runwatch_run_step", false, "Newest training step of the run"),
        LAST_SEEN("runwatch_run_last_seen_timestamp_seconds", false,
                "Record time (epoch s) of the run's newest record"),
        LOSS("runwatch_run_loss", false, "Training loss at the newest step"),
        GRAD_NORM("runwatch_run_grad_norm", false, "Global gradient norm at the newest step"),
        LR("runwatch_run_lr", false, "Learning rate at the newest step"),
        TOKENS_PER_SECOND("runwatch_run_tokens_per_second", false, "Training throughput at the newest step"),
        LOSS_SCALE("runwatch_run_loss_scale", false, "fp16 dynamic loss scale at the newest step"),
        LOSS_SPIKES("runwatch_loss_spikes", true, "Single-step loss outliers (bad batches) seen in the run"),
        LOSS_SPIKE_RATE("runwatch_run_loss_spike_rate", false, "Loss outliers per 1000 logged steps, recent window"),
        SKIPPED_STEPS("runwatch_run_skipped_steps", true, "Optimizer steps skipped by the fp16 loss scaler"),
        SKIPPED_FRACTION("runwatch_run_skipped_step_fraction", false,
                "Share of skipped optimizer steps, recent window"),
        GOODPUT("runwatch_run_goodput_ratio", false, "Share of wall time since start spent making new progress"),
        STALL_DEADLINE("runwatch_run_stall_deadline_seconds", false, "Silence after which the run counts as stalled"),
        SILENCE("runwatch_run_silence_seconds", false, "Time since the run last reported a new step"),
        THROUGHPUT_RATIO("runwatch_run_throughput_ratio", false, "Recent throughput divided by the run's own baseline"),
        LOST_STEPS("runwatch_run_lost_steps", true, "Steps redone after rewinds"),
        RESTARTS("runwatch_run_restarts", true, "Restarts of the run (resumed starts or rewinds)");

        final boolean counter;
        final MetricMetadata metadata;
        final int bit;
        /** The sample name in the text format, as bytes: a counter's carries {@code _total}. */
        final byte[] name;
        final byte[] totalName;

        Value(String name, boolean counter, String help) {
            this.counter = counter;
            this.metadata = new MetricMetadata(name, help);
            this.bit = 1 << ordinal();
            this.name = TextFormat.ascii(name);
            this.totalName = TextFormat.ascii(name + "_total");
        }
    }

    private static final Value[] VALUES = Value.values();
    static final MetricMetadata GROUP_GRAD_NORM = new MetricMetadata("runwatch_group_grad_norm",
            "Gradient norm of a parameter group");
    static final MetricMetadata GROUP_UPDATE_RMS = new MetricMetadata("runwatch_group_update_rms_over_lr",
            "RMS of a group's Adam update divided by the LR");
    private static final Group[] NO_GROUPS = new Group[0];

    /** The run id as exported (after {@link RunwatchMetrics#labelValue}). */
    final String run;
    private final Labels labels;
    /** {@code {run="..."} } in the text format, escaped once: what a scrape writes before each value. */
    private final byte[] labelText;
    private final double[] values = new double[VALUES.length];
    /** Bit i set: {@code Value.values()[i]} is exported. Written last, read first (see the class comment). */
    private volatile int present;
    private volatile Group[] groups = NO_GROUPS;
    /** Groups refused by the cap, remembered (up to a bound) so that each is counted once. */
    private java.util.Set<String> refusedGroups;

    RunSeries(String run) {
        this.run = run;
        this.labels = Labels.of("run", run);
        this.labelText = TextFormat.labels("run", run, null, null);
    }

    /** One exported parameter group: its two values, each exported once logged (NaN included). */
    static final class Group {
        static final int GRAD_NORM = 1;
        static final int UPDATE_RMS = 2;
        final String name;
        final Labels labels;
        final byte[] labelText;
        private double gradNorm;
        private double updateRmsOverLr;
        private volatile int present;

        Group(String name, String run) {
            this.name = name;
            this.labels = Labels.of("group", name, "run", run);
            this.labelText = TextFormat.labels("group", name, "run", run);
        }

        void set(Double gradNorm, Double updateRmsOverLr) {
            int mask = present;
            if (gradNorm != null) {
                this.gradNorm = gradNorm;
                mask |= GRAD_NORM;
            }
            if (updateRmsOverLr != null) {
                this.updateRmsOverLr = updateRmsOverLr;
                mask |= UPDATE_RMS;
            }
            present = mask;
        }
    }

    void set(Value value, double v) {
        values[value.ordinal()] = v;
        present = present | value.bit;
    }

    void setIfPresent(Value value, Double v) {
        if (v != null) {
            set(value, v);
        }
    }

    /** A value that exists only while it is defined: NaN (not known) takes the series away. */
    void setIfFinite(Value value, double v) {
        if (Double.isFinite(v)) {
            set(value, v);
        } else if ((present & value.bit) != 0) {
            present = present & ~value.bit;
        }
    }

    /** Counters mirror totals kept in detector state; never let one go down (a replay must not decrement). */
    void raise(Value counter, long total) {
        int mask = present;
        double current = (mask & counter.bit) != 0 ? values[counter.ordinal()] : Double.NEGATIVE_INFINITY;
        if (total > current) {
            values[counter.ordinal()] = total;
        }
        present = mask | counter.bit;
    }

    boolean has(Value value) {
        return (present & value.bit) != 0;
    }

    double get(Value value) {
        return values[value.ordinal()];
    }

    /** The exported group named {@code name} (a safe label value), or null. */
    Group findGroup(String name) {
        for (Group g : groups) {
            if (g.name.equals(name)) {
                return g;
            }
        }
        return null;
    }

    /** A new exported group, or null when the run has {@code maxGroups} already. */
    Group addGroup(String name, int maxGroups) {
        Group[] current = groups;
        if (current.length >= maxGroups) {
            return null;
        }
        Group created = new Group(name, run);
        Group[] grown = Arrays.copyOf(current, current.length + 1);
        grown[current.length] = created;
        groups = grown; // publishes the group
        return created;
    }

    /** True the first time a group is refused by the cap, so that it is counted once. */
    boolean refusedFirstTime(String name) {
        if (refusedGroups == null) {
            refusedGroups = new java.util.HashSet<>();
        }
        // Bounded memory against a flood of distinct names: past the bound they are no longer counted.
        return refusedGroups.size() < MAX_REMEMBERED_REFUSALS && refusedGroups.add(name);
    }

    static final int MAX_REMEMBERED_REFUSALS = 1_024;

    int groupCount() {
        return groups.length;
    }

    /**
     * Renders every run's series on a scrape, registered with the Prometheus registry under Micrometer's. Each
     * family's data points come out in label order, so the snapshot's own sort finds them sorted (linear).
     */
    static final class Export implements MultiCollector {
        /** The families this collector renders, as Prometheus names (a counter's without {@code _total}). */
        static final List<String> NAMES;

        static {
            List<String> names = new ArrayList<>();
            for (Value value : VALUES) {
                names.add(value.metadata.getPrometheusName());
            }
            names.add(GROUP_GRAD_NORM.getPrometheusName());
            names.add(GROUP_UPDATE_RMS.getPrometheusName());
            NAMES = List.copyOf(names);
        }

        private final Supplier<Collection<RunSeries>> runs;

        Export(Supplier<Collection<RunSeries>> runs) {
            this.runs = runs;
        }

        /**
         * Named, so that a scrape that excludes every one of them skips this collector without collecting (what
         * prometheus-metrics 1.7's registry decides from; deprecated there for getMetricFamilyDescriptors, which it
         * derives from this). Were it not skipped, RunwatchRegistryTest would see every per-run line twice.
         */
        @Override
        @SuppressWarnings("deprecation")
        public List<String> getPrometheusNames() {
            return NAMES;
        }

        /**
         * Every run's series in the Prometheus text format (0.0.4), written straight from the fields: the same
         * text the collector path produces through Prometheus' snapshots and writer, at a fraction of the cost
         * (no snapshot object, no sort, labels escaped once per run). Families are whole; series within a family
         * come in no particular order, which the format allows.
         *
         * <p>The format wants each family's lines together, so every run is visited once per family (19 times).
         * At 100,000 runs the run objects and their label bytes lie all over the heap, and following the pointers
         * on every visit cost more than the writing (cache misses, ~0.15 µs a line); so one pass first copies what
         * the lines need — presence masks, values, and the label bytes of every run and group, one after another
         * — into flat arrays that the family passes then read in order.
         */
        void writeText(OutputStream out) throws IOException {
            RunSeries[] all = runs.get().toArray(new RunSeries[0]);
            int n = all.length;
            int[] masks = new int[n];
            double[] values = new double[n * VALUES.length];
            Arena labels = new Arena(n, 24);
            int groupCount = 0;
            for (int i = 0; i < n; i++) {
                RunSeries series = all[i];
                masks[i] = series.present; // read first: the values written before it are visible
                System.arraycopy(series.values, 0, values, i * VALUES.length, VALUES.length);
                labels.add(series.labelText);
                groupCount += series.groups.length;
            }
            int[] groupMasks = new int[groupCount];
            double[] groupValues = new double[2 * groupCount];
            Arena groupLabels = new Arena(groupCount, 40);
            int g = 0;
            for (int i = 0; i < n && g < groupCount; i++) {
                for (Group group : all[i].groups) {
                    if (g == groupCount) {
                        break; // a group added since the count: the next scrape shows it
                    }
                    groupMasks[g] = group.present; // read first, as above
                    groupValues[2 * g] = group.gradNorm;
                    groupValues[2 * g + 1] = group.updateRmsOverLr;
                    groupLabels.add(group.labelText);
                    g++;
                }
            }
            groupCount = g;
            all = null; // the passes below read only the flat copies
            TextFormat text = new TextFormat(out);
            for (Value value : VALUES) {
                byte[] name = value.counter ? value.totalName : value.name;
                boolean header = false;
                for (int i = 0; i < n; i++) {
                    if ((masks[i] & value.bit) != 0) {
                        if (!header) {
                            text.header(value.metadata, value.counter);
                            header = true;
                        }
                        text.sample(name, labels.bytes, labels.start(i), labels.end[i],
                                values[i * VALUES.length + value.ordinal()]);
                    }
                }
            }
            writeGroups(text, GROUP_GRAD_NORM, Group.GRAD_NORM, 0, groupCount, groupMasks, groupValues, groupLabels);
            writeGroups(text, GROUP_UPDATE_RMS, Group.UPDATE_RMS, 1, groupCount, groupMasks, groupValues,
                    groupLabels);
            text.flush();
        }

        private static void writeGroups(TextFormat text, MetricMetadata family, int bit, int offset, int count,
                                        int[] masks, double[] values, Arena labels) throws IOException {
            byte[] name = TextFormat.ascii(family.getPrometheusName());
            boolean header = false;
            for (int i = 0; i < count; i++) {
                if ((masks[i] & bit) != 0) {
                    if (!header) {
                        text.header(family, false);
                        header = true;
                    }
                    text.sample(name, labels.bytes, labels.start(i), labels.end[i], values[2 * i + offset]);
                }
            }
        }

        /** Byte arrays copied one after another; item i is {@code bytes[start(i), end[i])}. */
        private static final class Arena {
            byte[] bytes;
            final int[] end;
            private int count;

            Arena(int items, int bytesPerItem) {
                bytes = new byte[Math.max(16, items * bytesPerItem)];
                end = new int[items];
            }

            void add(byte[] item) {
                int from = count == 0 ? 0 : end[count - 1];
                if (from + item.length > bytes.length) {
                    bytes = Arrays.copyOf(bytes, Math.max(2 * bytes.length, from + item.length));
                }
                System.arraycopy(item, 0, bytes, from, item.length);
                end[count++] = from + item.length;
            }

            int start(int i) {
                return i == 0 ? 0 : end[i - 1];
            }
        }

        @Override
        public MetricSnapshots collect() {
            RunSeries[] sorted = runs.get().toArray(new RunSeries[0]);
            Arrays.sort(sorted, (a, b) -> a.run.compareTo(b.run));
            int[] masks = new int[sorted.length];
            for (int i = 0; i < sorted.length; i++) {
                masks[i] = sorted[i].present; // read first: the values written before it are visible
            }
            List<MetricSnapshot> families = new ArrayList<>(VALUES.length + 2);
            for (Value value : VALUES) {
                MetricSnapshot family = value.counter ? counters(value, sorted, masks) : gauges(value, sorted, masks);
                if (family != null) {
                    families.add(family);
                }
            }
            groupFamilies(sorted, families);
            return new MetricSnapshots(families);
        }

        private static MetricSnapshot gauges(Value value, RunSeries[] sorted, int[] masks) {
            List<GaugeSnapshot.GaugeDataPointSnapshot> points = new ArrayList<>(sorted.length);
            for (int i = 0; i < sorted.length; i++) {
                if ((masks[i] & value.bit) != 0) {
                    points.add(new GaugeSnapshot.GaugeDataPointSnapshot(sorted[i].values[value.ordinal()],
                            sorted[i].labels, null));
                }
            }
            return points.isEmpty() ? null : new GaugeSnapshot(value.metadata, points);
        }

        private static MetricSnapshot counters(Value value, RunSeries[] sorted, int[] masks) {
            List<CounterSnapshot.CounterDataPointSnapshot> points = new ArrayList<>(sorted.length);
            for (int i = 0; i < sorted.length; i++) {
                if ((masks[i] & value.bit) != 0) {
                    points.add(new CounterSnapshot.CounterDataPointSnapshot(sorted[i].values[value.ordinal()],
                            sorted[i].labels, null, 0));
                }
            }
            return points.isEmpty() ? null : new CounterSnapshot(value.metadata, points);
        }

        /** Group families are ordered by group, then run: one bucket per group name, runs already in order. */
        private static void groupFamilies(RunSeries[] sorted, List<MetricSnapshot> families) {
            Map<String, List<GaugeSnapshot.GaugeDataPointSnapshot>> gradNorms = new TreeMap<>();
            Map<String, List<GaugeSnapshot.GaugeDataPointSnapshot>> updates = new TreeMap<>();
            for (RunSeries series : sorted) {
                for (Group g : series.groups) {
                    int mask = g.present;
                    if ((mask & Group.GRAD_NORM) != 0) {
                        gradNorms.computeIfAbsent(g.name, k -> new ArrayList<>())
                                .add(new GaugeSnapshot.GaugeDataPointSnapshot(g.gradNorm, g.labels, null));
                    }
                    if ((mask & Group.UPDATE_RMS) != 0) {
                        updates.computeIfAbsent(g.name, k -> new ArrayList<>())
                                .add(new GaugeSnapshot.GaugeDataPointSnapshot(g.updateRmsOverLr, g.labels, null));
                    }
                }
            }
            if (!gradNorms.isEmpty()) {
                families.add(new GaugeSnapshot(GROUP_GRAD_NORM, concat(gradNorms)));
            }
            if (!updates.isEmpty()) {
                families.add(new GaugeSnapshot(GROUP_UPDATE_RMS, concat(updates)));
            }
        }

        private static List<GaugeSnapshot.GaugeDataPointSnapshot> concat(
                Map<String, List<GaugeSnapshot.GaugeDataPointSnapshot>> byGroup) {
            List<GaugeSnapshot.GaugeDataPointSnapshot> all = new ArrayList<>();
            byGroup.values().forEach(all::addAll);
            return all;
        }
    }
}
