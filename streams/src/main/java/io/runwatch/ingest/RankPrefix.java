package io.runwatch.ingest;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The prefixes launchers put before every line of a rank's output: torchrun {@code [rank3]:}, the BigScience
 * {@code [default7]:}, mpirun {@code [1,0]<stdout>:}, {@code slurm_procid 0 : }, {@code srun -l}'s {@code 12: } and
 * pdsh/DeepSpeed's {@code worker-3: } host names. The prefix is the rank label that tells copies of one step apart.
 */
final class RankPrefix {
    private static final Pattern PREFIX = Pattern.compile("\\s*(\\[(?:rank|default)\\s*\\d+\\]:"
            + "|\\[\\d+,\\d+\\]<std(?:out|err)>:|slurm_procid \\d+ : |\\d{1,5}: |[A-Za-z][\\w-]*\\d[\\w.-]*: )");

    /** The line without its launcher prefixes, and the innermost prefix (null if none). */
    record Split(String label, String rest) {
    }

    private RankPrefix() {
    }

    static Split split(String line) {
        String label = null;
        String rest = line;
        for (int guard = 0; guard < 3 && !rest.isEmpty() && mayStartPrefix(rest); guard++) {
            Matcher m = PREFIX.matcher(rest);
            if (!m.lookingAt()) {
                break;
            }
            label = m.group(1).trim();
            rest = rest.substring(m.end());
        }
        return new Split(label, rest);
    }

    /** Every prefix ends in {@code ]:}, {@code >:} or {@code ": "} near the start: most lines are rejected here. */
    private static boolean mayStartPrefix(String s) {
        char c = s.charAt(0);
        if (!(c == '[' || c == ' ' || Character.isLetterOrDigit(c))) {
            return false;
        }
        int head = Math.min(s.length(), 96);
        for (int i = 1; i < head; i++) {
            char d = s.charAt(i);
            if (d == ':' && (s.charAt(i - 1) == ']' || s.charAt(i - 1) == '>' || i + 1 < s.length()
                    && s.charAt(i + 1) == ' ')) {
                return true;
            }
        }
        return false;
    }
}
