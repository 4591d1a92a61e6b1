package io.runwatch.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.AbstractSet;
import java.util.Collections;
import java.util.Iterator;
import java.util.Set;

/**
 * The registry {@code run} serves {@code /metrics} from. A scrape in the Prometheus text format (what
 * {@link MetricsServer} asks for) renders Micrometer's meters as Micrometer does, then every run's series straight
 * from {@link RunSeries} (see {@link RunSeries.Export#writeText}): measured with
 * {@code io.runwatch.metrics.bench.MetricsScaleBench}, the per-run series through Prometheus' snapshot model cost
 * ~0.8 µs each per scrape, about 1.5 s of CPU at 100,000 runs. Other formats, and a scrape filtered by name, take
 * the general path (the collector {@link RunwatchMetrics} registers), so every format shows the same series.
 */
public final class RunwatchRegistry extends PrometheusMeterRegistry {
    /** Prometheus' text format 0.0.4 (PrometheusTextFormatWriter.CONTENT_TYPE; that class is a runtime dependency). */
    static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private volatile RunSeries.Export runs;

    public RunwatchRegistry() {
        super(PrometheusConfig.DEFAULT);
    }

    /** Called by the {@link RunwatchMetrics} built on this registry; there is one (it owns every runwatch meter). */
    synchronized void renderRunsWith(RunSeries.Export export) {
        if (runs != null) {
            throw new IllegalStateException("a RunwatchRegistry serves one RunwatchMetrics");
        }
        this.runs = export;
    }

    @Override
    public String scrape() {
        return scrape(TEXT);
    }

    @Override
    public String scrape(String contentType) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
        try {
            scrape(out, contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void scrape(OutputStream out) throws IOException {
        scrape(out, TEXT);
    }

    @Override
    public void scrape(OutputStream out, String contentType) throws IOException {
        RunSeries.Export export = runs;
        if (export == null || !TEXT.equals(contentType)) {
            super.scrape(out, contentType, null);
            return;
        }
        super.scrape(out, contentType, ALL_BUT_RUN_SERIES);
        export.writeText(out);
    }

    /** Every name but those of the per-run families: the registry skips the collector without running it. */
    private static final Set<String> ALL_BUT_RUN_SERIES = new AbstractSet<>() {
        @Override
        public boolean contains(Object name) {
            return !RunSeries.Export.NAMES.contains(name);
        }

        @Override
        public Iterator<String> iterator() {
            return Collections.emptyIterator(); // never listed: only asked whether it contains a name
        }

        @Override
        public int size() {
            return Integer.MAX_VALUE;
        }
    };
}
