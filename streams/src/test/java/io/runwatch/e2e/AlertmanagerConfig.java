package io.runwatch.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Copies of the shipped {@code alerts/alertmanager.yml} with its receivers pointed at a test's
 * {@link WebhookReceiver}: the local webhook base, the PagerDuty Events API and the PagerDuty key file are
 * replaced, nothing else, so the test exercises the routes and inhibitions users get.
 */
public final class AlertmanagerConfig {
    /** Base URL of the webhook relays in the shipped file (pager and ticket receivers). */
    public static final String WEBHOOK_BASE = "http://127.0.0.1:9099";
    /** Where the shipped file sends PagerDuty events. */
    public static final String PAGERDUTY_BASE = "https://events.pagerduty.com";
    /** Where the shipped file reads the PagerDuty routing key from. */
    public static final String PAGERDUTY_KEY_FILE = "/etc/alertmanager/secrets/pagerduty-routing-key";
    /** The routing key written for tests; it arrives in the PagerDuty event the receiver records. */
    public static final String TEST_ROUTING_KEY = "runwatch-test-routing-key";

    private AlertmanagerConfig() {
    }

    /**
     * Writes a copy of {@code shipped} into {@code dir} with webhooks going to {@code receiver}'s
     * {@code /pager} and {@code /ticket}, PagerDuty events to its {@code /pagerduty/v2/enqueue}, and the
     * routing key read from a file holding {@link #TEST_ROUTING_KEY}.
     */
    public static Path pointedAt(Path shipped, WebhookReceiver receiver, Path dir) {
        Path keyFile = dir.resolve("pagerduty-routing-key");
        write(keyFile, TEST_ROUTING_KEY);
        Map<String, String> replacements = new LinkedHashMap<>();
        replacements.put(WEBHOOK_BASE, receiver.baseUrl());
        replacements.put(PAGERDUTY_BASE, receiver.baseUrl() + "/pagerduty");
        replacements.put(PAGERDUTY_KEY_FILE, keyFile.toAbsolutePath().toString());
        return rewritten(shipped, replacements, dir.resolve("alertmanager.yml"));
    }

    /** Writes {@code shipped} with each key replaced by its value; fails if a key does not occur (config drift). */
    public static Path rewritten(Path shipped, Map<String, String> replacements, Path target) {
        try {
            String text = Files.readString(shipped);
            for (Map.Entry<String, String> r : replacements.entrySet()) {
                if (!text.contains(r.getKey())) {
                    throw new IllegalStateException(shipped + " no longer contains '" + r.getKey()
                            + "': update AlertmanagerConfig to match the shipped receivers");
                }
                text = text.replace(r.getKey(), r.getValue());
            }
            write(target, text);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
