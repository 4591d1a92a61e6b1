package io.runwatch.app;

import java.io.PrintStream;
import picocli.CommandLine;

/**
 * {@code runwatch tail} as its own JVM for {@link TailExactlyOnceIT}, which kills it with SIGKILL: the real
 * command with the test-scope llm.c parser.
 */
public final class TailProcessMain {
    private TailProcessMain() {
    }

    public static void main(String[] args) {
        TailCommand command = new TailCommand((format, run) -> new LlmcTestParser(run), null,
                new PrintStream(System.err, true));
        System.exit(new CommandLine(command).execute(args));
    }
}
