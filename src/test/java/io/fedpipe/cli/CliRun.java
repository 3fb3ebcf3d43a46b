package io.fedpipe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** What one in-process CLI run printed and returned; shared by the CLI tests. */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = FedPipeCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    List<String> errLines() {
        return err.lines().toList();
    }

    /**
     * An input error as every command reports one: exit code 2, nothing on stdout and exactly one
     * line on stderr that starts with {@code fedpipe: } and contains each of {@code mentions}; that line.
     */
    static String assertInputError(CliRun o, String... mentions) {
        assertEquals(2, o.exitCode(), "exit code; stderr: " + o.err());
        List<String> lines = o.errLines();
        assertEquals(1, lines.size(), "one line on stderr, got: " + o.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("fedpipe: "), line);
        for (String m : mentions) {
            assertTrue(line.contains(m), "'" + line + "' should mention " + m);
        }
        assertEquals("", o.out(), "nothing on stdout");
        return line;
    }
}
