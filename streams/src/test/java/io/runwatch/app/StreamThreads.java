package io.runwatch.app;

import java.util.Set;
import java.util.TreeSet;

/**
 * The Kafka Streams threads alive in this JVM, by name. A thread that dies and is replaced comes back under a
 * new name ({@code ...-StreamThread-2}), so comparing the set before and after a test shows whether any stream
 * thread was lost or replaced, without reaching into the application.
 */
final class StreamThreads {
    private StreamThreads() {
    }

    static Set<String> alive() {
        Set<String> names = new TreeSet<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.isAlive() && thread.getName().matches(".*-StreamThread-\\d+$")) {
                names.add(thread.getName());
            }
        }
        return names;
    }
}
