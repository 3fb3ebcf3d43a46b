package io.fedpipe.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The E2E NLG files vendored in the repository under {@code data/e2e/} (see its NOTICE.md:
 * CC BY-SA 4.0, unchanged copies). There is no E2E training set: the dev set is the training
 * pool (split by MR with {@link E2eDataset#splitByMr}), the test set is for evaluation.
 *
 * <p>The folder is found as {@code jobs/demo.conf} is: under the directory of the system
 * property {@code fedpipe.home} (the {@code ./fedpipe} launcher sets it to the repository root),
 * else under the working directory.
 */
public final class E2eData {

    public static final String DEVSET = "devset.csv";
    public static final String TESTSET = "testset_w_refs.csv";

    private E2eData() {
    }

    /** {@code $fedpipe.home/data/e2e}, or {@code data/e2e} in the working directory. */
    public static Path directory() {
        String home = System.getProperty("fedpipe.home");
        return Path.of(home == null ? "." : home, "data", "e2e");
    }

    /** The dev set (4,672 pairs, 547 MRs): the training pool. */
    public static LoadResult<E2eDataset> devset() throws IOException {
        return E2eCsvReader.read(directory().resolve(DEVSET));
    }

    /** The test set with references (4,693 pairs, 630 MRs): for evaluation. */
    public static LoadResult<E2eDataset> testset() throws IOException {
        return E2eCsvReader.read(directory().resolve(TESTSET));
    }
}
