package io.runwatch.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Order statistics of a small sample (nearest rank: a p99 of 30 values is their largest). */
record Stats(double min, double median, double max, double p50, double p99, int n) {

    static Stats of(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return new Stats(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
        }
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return new Stats(sorted.get(0), median, sorted.get(n - 1), rank(sorted, 0.50), rank(sorted, 0.99), n);
    }

    private static double rank(List<Double> sorted, double q) {
        int index = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
