package io.runwatch.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Reads the alerting files as text, for the contract tests (no YAML library: the layout is ours and fixed). */
final class AlertingFiles {
    private static final Pattern RULE_START = Pattern.compile("(?m)^\\s*- alert: (\\w+)\\s*$");
    private static final Pattern METRIC_NAME = Pattern.compile("\\brunwatch_[a-z_]+");

    private AlertingFiles() {
    }

    /** One alerting rule: its name, file and the text of its block (expr, for, labels, annotations). */
    record Rule(String name, Path file, String block) {
        String field(String key) {
            Matcher m = Pattern.compile("(?m)^\\s*" + Pattern.quote(key) + ": (.*)$").matcher(block);
            return m.find() ? m.group(1).trim() : null;
        }

        /** The expression, including a folded multi-line one. */
        String expr() {
            Matcher m = Pattern.compile("(?s)expr: (.*?)\\n\\s*for:").matcher(block);
            return m.find() ? m.group(1).replace(">-", "").replaceAll("\\s+", " ").trim() : null;
        }
    }

    static List<Rule> rules(Path alertsDir) {
        List<Rule> rules = new ArrayList<>();
        for (Path file : files(alertsDir.resolve("rules"), ".yml")) {
            String text = read(file);
            Matcher m = RULE_START.matcher(text);
            List<int[]> starts = new ArrayList<>();
            List<String> names = new ArrayList<>();
            while (m.find()) {
                starts.add(new int[] {m.start()});
                names.add(m.group(1));
            }
            for (int i = 0; i < starts.size(); i++) {
                int end = i + 1 < starts.size() ? starts.get(i + 1)[0] : text.length();
                rules.add(new Rule(names.get(i), file, text.substring(starts.get(i)[0], end)));
            }
        }
        return rules;
    }

    /** GitHub's anchors of every Markdown heading in {@code markdown}. */
    static Set<String> anchors(Path markdown) {
        Set<String> anchors = new LinkedHashSet<>();
        for (String line : read(markdown).split("\n")) {
            if (line.startsWith("#")) {
                anchors.add(githubAnchor(line.replaceFirst("^#+\\s*", "")));
            }
        }
        return anchors;
    }

    /** How GitHub turns a heading into an anchor: lower case, punctuation dropped, spaces to hyphens. */
    static String githubAnchor(String heading) {
        String lower = Normalizer.normalize(heading.trim(), Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
        return lower.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    /** Every {@code runwatch_*} metric name in {@code text}, with the histogram/summary suffixes removed. */
    static Set<String> metricNames(String text) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = METRIC_NAME.matcher(text);
        while (m.find()) {
            names.add(m.group().replaceFirst("_(count|sum|bucket)$", ""));
        }
        return names;
    }

    static List<Path> files(Path dir, String suffix) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
