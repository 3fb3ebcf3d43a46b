package io.fedpipe.cli;

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
}
