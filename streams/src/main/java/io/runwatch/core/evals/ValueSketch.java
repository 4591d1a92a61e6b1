package io.runwatch.core.evals;

import java.util.Arrays;

/**
 * A few weighted centroids standing for the scores of checkpoints that left a trajectory's retained window,
 * so that Kendall's tau over the whole trajectory can still be updated without keeping every score. When
 * full, the two closest centroids merge; ranks against the sketch are then approximate.
 */
public final class ValueSketch {
    static final int CAPACITY = 16;

    /** Centroid means, ascending. */
    public double[] means = new double[0];
    /** How many scores each centroid stands for. */
    public long[] counts = new long[0];

    public long size() {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        return total;
    }

    public void add(double value) {
        int at = 0;
        while (at < means.length && means[at] < value) {
            at++;
        }
        double[] newMeans = new double[means.length + 1];
        long[] newCounts = new long[counts.length + 1];
        System.arraycopy(means, 0, newMeans, 0, at);
        System.arraycopy(counts, 0, newCounts, 0, at);
        newMeans[at] = value;
        newCounts[at] = 1;
        System.arraycopy(means, at, newMeans, at + 1, means.length - at);
        System.arraycopy(counts, at, newCounts, at + 1, counts.length - at);
        means = newMeans;
        counts = newCounts;
        if (means.length > CAPACITY) {
            mergeClosestPair();
        }
    }

    /** Σ sign(value − s) over the sketched scores s: how many lie below minus how many above. */
    public double signSum(double value) {
        double sum = 0;
        for (int i = 0; i < means.length; i++) {
            sum += counts[i] * Math.signum(value - means[i]);
        }
        return sum;
    }

    private void mergeClosestPair() {
        int best = 0;
        for (int i = 1; i < means.length - 1; i++) {
            if (means[i + 1] - means[i] < means[best + 1] - means[best]) {
                best = i;
            }
        }
        long merged = counts[best] + counts[best + 1];
        means[best] = (means[best] * counts[best] + means[best + 1] * counts[best + 1]) / merged;
        counts[best] = merged;
        means = remove(means, best + 1);
        counts = remove(counts, best + 1);
    }

    private static double[] remove(double[] array, int index) {
        double[] out = Arrays.copyOf(array, array.length - 1);
        System.arraycopy(array, index + 1, out, index, array.length - index - 1);
        return out;
    }

    private static long[] remove(long[] array, int index) {
        long[] out = Arrays.copyOf(array, array.length - 1);
        System.arraycopy(array, index + 1, out, index, array.length - index - 1);
        return out;
    }
}
