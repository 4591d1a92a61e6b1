package io.runwatch.bench;

import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Kafka Streams' own thread metrics, read from JMX (Streams registers them there by default): the punctuators'
 * time per pass is runwatch's tick time, which the benchmark reads without reaching into the running app.
 */
final class StreamsJmx {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private StreamsJmx() {
    }

    /** Largest value of {@code attribute} over the stream threads of {@code applicationId}; NaN when none. */
    static double threadMax(String applicationId, String attribute) {
        double max = Double.NaN;
        try {
            ObjectName pattern = new ObjectName("kafka.streams:type=stream-thread-metrics,thread-id="
                    + applicationId + "-*");
            for (ObjectName name : SERVER.queryNames(pattern, null)) {
                Object value = SERVER.getAttribute(name, attribute);
                if (value instanceof Number n && Double.isFinite(n.doubleValue())) {
                    max = Double.isNaN(max) ? n.doubleValue() : Math.max(max, n.doubleValue());
                }
            }
        } catch (Exception e) {
            return Double.NaN;
        }
        return max;
    }

    /** Sum of {@code attribute} over the stream threads of {@code applicationId}. */
    static double threadSum(String applicationId, String attribute) {
        double sum = 0;
        try {
            ObjectName pattern = new ObjectName("kafka.streams:type=stream-thread-metrics,thread-id="
                    + applicationId + "-*");
            for (ObjectName name : SERVER.queryNames(pattern, null)) {
                Object value = SERVER.getAttribute(name, attribute);
                if (value instanceof Number n && Double.isFinite(n.doubleValue())) {
                    sum += n.doubleValue();
                }
            }
        } catch (Exception e) {
            return Double.NaN;
        }
        return sum;
    }
}
