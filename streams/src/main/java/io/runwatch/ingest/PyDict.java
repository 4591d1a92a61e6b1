package io.runwatch.ingest;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the flat Python dict repr a trainer prints ({@code {'loss': 0.2051, 'grad_norm': nan, 'epoch': 0.53}}):
 * {@code json.loads} would refuse the bare {@code nan}/{@code inf} and single quotes, so the pairs are scanned.
 * Values are kept as text; nested values are skipped whole.
 */
final class PyDict {
    private PyDict() {
    }

    /** The pairs of the first {@code {'...} dict in {@code line}, or null if there is none or it is not closed. */
    static Map<String, String> parse(String line) {
        int start = line.indexOf("{'"); // a Python repr: str keys are single-quoted (JSON lines are not this format)
        if (start < 0) {
            return null;
        }
        Map<String, String> pairs = new LinkedHashMap<>();
        int i = start + 1;
        int n = line.length();
        while (i < n) {
            while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == ',')) {
                i++;
            }
            if (i >= n) {
                return null;
            }
            if (line.charAt(i) == '}') {
                return pairs;
            }
            char quote = line.charAt(i);
            if (quote != '\'' && quote != '"') {
                return null;
            }
            int keyEnd = line.indexOf(quote, i + 1);
            if (keyEnd < 0) {
                return null;
            }
            String key = line.substring(i + 1, keyEnd);
            i = keyEnd + 1;
            while (i < n && line.charAt(i) == ' ') {
                i++;
            }
            if (i >= n || line.charAt(i) != ':') {
                return null;
            }
            i++;
            while (i < n && line.charAt(i) == ' ') {
                i++;
            }
            int valueStart = i;
            int depth = 0;
            char inString = 0;
            while (i < n) {
                char c = line.charAt(i);
                if (inString != 0) {
                    if (c == inString) {
                        inString = 0;
                    }
                } else if (c == '\'' || c == '"') {
                    inString = c;
                } else if (c == '{' || c == '[' || c == '(') {
                    depth++;
                } else if (c == '}' || c == ']' || c == ')') {
                    if (depth == 0) {
                        break;
                    }
                    depth--;
                } else if (c == ',' && depth == 0) {
                    break;
                }
                i++;
            }
            if (i >= n) {
                return null; // not closed: a cut-off line
            }
            pairs.put(key, line.substring(valueStart, i).trim());
        }
        return null;
    }
}
