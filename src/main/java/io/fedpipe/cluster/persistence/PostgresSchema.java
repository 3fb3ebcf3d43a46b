package io.fedpipe.cluster.persistence;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies pekko-persistence-jdbc's PostgreSQL schema explicitly, failing loudly (STACK.md rule 7:
 * the library's {@code createIfNotExists} swallows every SQL error, which is acceptable for the
 * embedded H2 default but not for a shared production journal).
 *
 * <p>The script shipped in the library's jar is used as is. It is not idempotent (its indexes lack
 * IF NOT EXISTS), so the tables are looked up first: all present means nothing to do; some
 * present means a half-made schema that a person must look at.
 */
public final class PostgresSchema {

    /** The script inside pekko-persistence-jdbc's jar. */
    public static final String SCRIPT = "schema/postgres/postgres-create-schema.sql";
    /** The tables that script creates, in schema {@code public}. */
    public static final List<String> TABLES = List.of("event_journal", "event_tag", "snapshot", "durable_state");

    /** What {@link #apply} did. */
    public enum Outcome { CREATED, ALREADY_PRESENT }

    private PostgresSchema() {}

    /** The script's statements, in order, without comments. */
    public static List<String> statements() {
        String sql;
        try (InputStream in = PostgresSchema.class.getClassLoader().getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException(SCRIPT + " is not on the class path (pekko-persistence-jdbc missing?)");
            }
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + SCRIPT, e);
        }
        StringBuilder clean = new StringBuilder();
        for (String line : sql.split("\n")) {
            if (!line.strip().startsWith("--")) {
                clean.append(line).append('\n');
            }
        }
        List<String> out = new ArrayList<>();
        for (String s : clean.toString().split(";")) {
            if (!s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }

    /** Connects and applies the schema; any SQL error propagates with the statement that failed. */
    public static Outcome apply(String url, String user, String password) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            // CREATE INDEX CONCURRENTLY cannot run inside a transaction block.
            c.setAutoCommit(true);
            List<String> present = new ArrayList<>();
            for (String t : TABLES) {
                try (ResultSet rs = c.getMetaData().getTables(null, "public", t, new String[] {"TABLE"})) {
                    if (rs.next()) {
                        present.add(t);
                    }
                }
            }
            if (present.size() == TABLES.size()) {
                return Outcome.ALREADY_PRESENT;
            }
            if (!present.isEmpty()) {
                throw new SQLException("journal schema at " + url + " is incomplete: has " + present + " of " + TABLES
                        + "; repair or drop it by hand, then run this again");
            }
            try (Statement st = c.createStatement()) {
                for (String s : statements()) {
                    try {
                        st.execute(s);
                    } catch (SQLException e) {
                        throw new SQLException("schema statement failed: " + s.lines().findFirst().orElse(s)
                                + " ...: " + e.getMessage(), e.getSQLState(), e);
                    }
                }
            }
            return Outcome.CREATED;
        }
    }
}
