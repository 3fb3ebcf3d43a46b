package io.fedpipe.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class E2eCsvReaderTest {

    @TempDir
    Path dir;

    private Path write(String content) throws IOException {
        Path file = dir.resolve("e2e.csv");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void groupsReferencesByMrInFileOrderWithRfc4180Quoting() throws IOException {
        Path file = write("\"mr\",\"ref\"\r\n"
                + "\"name[A], area[x]\",\"A is in x, they say.\"\r\n"
                + "name[B],B is fine - not quoted\r\n"
                + "\r\n"
                + "\"name[A], area[x]\",\"He said \"\"A\"\", twice.\"\r\n"
                + "name[B],\"\"\r\n"); // empty ref: malformed
        LoadResult<E2eDataset> result = E2eCsvReader.read(file, new LoadPolicy(0.5, 20));

        List<E2eInstance> instances = result.dataset().instances();
        assertEquals(2, instances.size());
        assertEquals(new E2eInstance("name[A], area[x]", List.of("A is in x, they say.", "He said \"A\", twice.")),
                instances.get(0));
        assertEquals("name[B]", instances.get(1).mr());
        assertEquals(List.of("B is fine - not quoted"), instances.get(1).references());
        LoadReport report = result.report();
        assertEquals(5, report.lines(), "lines after the header");
        assertEquals(3, report.records());
        assertEquals(1, report.blankLines());
        assertEquals(1, report.badLines());
        assertEquals(6, report.problems().get(0).line());
        assertEquals("empty ref", report.problems().get(0).problem());
    }

    @Test
    void unquotedFieldWithAQuoteIsMalformed() {
        E2eCsvReader.BadRow bad = assertThrows(E2eCsvReader.BadRow.class, () -> E2eCsvReader.fields("a,b\"c"));
        assertEquals("quote inside unquoted field 2 at column 4", bad.getMessage());
    }

    @Test
    void namesEachKindOfMalformedRowWithItsLine() throws IOException {
        Path file = write("mr,ref\n"
                + "\"name[A]\",\"ok\"\n"
                + "\"name[A], area[x]\",\"never closed\n"
                + "name[A],ref,extra\n"
                + "onlyone\n"
                + ",no mr\n"
                + "\"name[A]\"x,\"ref\"\n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> E2eCsvReader.read(file));
        String m = e.getMessage();
        assertTrue(m.startsWith(file + ": 5 of 6 rows are malformed"), m);
        assertTrue(m.contains("line 3: unterminated quote in field 2 starting at column 20"), m);
        assertTrue(m.contains("line 4: expected 2 fields (mr,ref), got 3"), m);
        assertTrue(m.contains("line 5: expected 2 fields (mr,ref), got 1"), m);
        assertTrue(m.contains("line 6: empty mr"), m);
        assertTrue(m.contains("line 7: text after the closing quote of field 1 at column 10"), m);
        assertEquals(5, e.report().orElseThrow().badLines());
    }

    @Test
    void oneBadRowInAHundredIsSkippedTwoFail() throws IOException {
        StringBuilder ok = new StringBuilder("mr,ref\n");
        for (int i = 0; i < 99; i++) {
            ok.append("name[N").append(i % 7).append("],ref ").append(i).append('\n');
        }
        LoadResult<E2eDataset> result = E2eCsvReader.read(write(ok + "\"broken\n"));
        assertEquals(99, result.dataset().pairCount());
        assertEquals(7, result.dataset().size());
        assertEquals(1, result.report().badLines());

        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> E2eCsvReader.read(write(ok + "\"broken\n\"broken again\n")));
        assertTrue(e.getMessage().contains("2 of 101 rows are malformed (1.98%, allowed 1.00%)"), e.getMessage());
    }

    @Test
    void wrongHeaderOrEmptyFileFails() throws IOException {
        DatasetFormatException header = assertThrows(DatasetFormatException.class,
                () -> E2eCsvReader.read(write("text,label\na,b\n")));
        assertEquals(dir.resolve("e2e.csv") + ":1: header is text,label, expected mr,ref", header.getMessage());
        DatasetFormatException empty = assertThrows(DatasetFormatException.class, () -> E2eCsvReader.read(write("")));
        assertTrue(empty.getMessage().endsWith("file is empty, expected the header mr,ref"), empty.getMessage());
        DatasetFormatException noRows = assertThrows(DatasetFormatException.class,
                () -> E2eCsvReader.read(write("mr,ref\n\n")));
        assertTrue(noRows.getMessage().endsWith("no rows after the header"), noRows.getMessage());
    }

    @Test
    void vendoredFilesLoadWithTheirDocumentedCounts() throws IOException {
        LoadResult<E2eDataset> dev = E2eData.devset();
        assertEquals(4672, dev.dataset().pairCount());
        assertEquals(547, dev.dataset().size());
        assertEquals(0, dev.report().badLines());
        assertEquals("name[Alimentum], area[city centre], familyFriendly[no]", dev.dataset().instances().get(0).mr());
        assertEquals("There is a place in the city centre, Alimentum, that is not family-friendly.",
                dev.dataset().instances().get(0).references().get(0));

        LoadResult<E2eDataset> test = E2eData.testset();
        assertEquals(4693, test.dataset().pairCount());
        assertEquals(630, test.dataset().size());
        assertEquals("name[Blue Spice], eatType[coffee shop], area[city centre]",
                test.dataset().instances().get(0).mr());
    }

    @Test
    void trainingPairsAndEvaluationPromptsUseThePromptFormat() {
        E2eDataset data = E2eDataset.of(List.of(
                new E2eInstance("name[A]", List.of("A.", "It is A.")),
                new E2eInstance("name[B]", List.of("B."))));
        GenerationDataset pairs = data.trainingPairs();
        assertEquals(3, pairs.size());
        assertEquals(new GenerationExample("name[A]\n", "It is A."), pairs.get(1));
        assertEquals(new GenerationExample("name[B]\n", "B."), pairs.get(2));
        assertEquals(List.of("name[A]\n", "name[B]\n"), data.prompts());
        assertEquals(List.of(List.of("A.", "It is A."), List.of("B.")), data.references());
    }

    @Test
    void splitByMrIsSeededDisjointAndKeepsAllReferences() throws IOException {
        E2eDataset dev = E2eData.devset().dataset();
        E2eSplit split = dev.splitByMr(7, 0.1);
        assertEquals(55, split.validation().size(), "round(547 * 0.1)");
        assertEquals(492, split.train().size());
        assertEquals(dev.pairCount(), split.train().pairCount() + split.validation().pairCount());
        Set<String> trainMrs = new HashSet<>();
        split.train().instances().forEach(i -> trainMrs.add(i.mr()));
        split.validation().instances().forEach(i -> assertTrue(!trainMrs.contains(i.mr()), i.mr()));
        assertEquals(split.validation().instances(), dev.splitByMr(7, 0.1).validation().instances(), "same seed");
        assertTrue(!split.validation().instances().equals(dev.splitByMr(8, 0.1).validation().instances()),
                "another seed, another split");
        // file order is kept within each part
        List<String> order = dev.instances().stream().map(E2eInstance::mr).toList();
        List<Integer> positions = split.validation().instances().stream().map(i -> order.indexOf(i.mr())).toList();
        assertEquals(positions.stream().sorted().toList(), positions);
    }

    @Test
    void splitRejectsBadFractionsAndTinyData() {
        E2eDataset one = E2eDataset.of(List.of(new E2eInstance("name[A]", List.of("A."))));
        assertThrows(IllegalArgumentException.class, () -> one.splitByMr(1, 0.1));
        E2eDataset two = E2eDataset.of(List.of(new E2eInstance("name[A]", List.of("A.")),
                new E2eInstance("name[B]", List.of("B."))));
        assertThrows(IllegalArgumentException.class, () -> two.splitByMr(1, 1.0));
        E2eSplit split = two.splitByMr(1, 0.01);
        assertEquals(1, split.validation().size(), "at least one MR in validation");
        assertEquals(1, split.train().size());
    }
}
