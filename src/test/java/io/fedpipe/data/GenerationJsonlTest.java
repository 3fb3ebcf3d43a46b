package io.fedpipe.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prompt/completion, Alpaca and references JSONL. */
class GenerationJsonlTest {

    @TempDir
    Path dir;

    private Path write(String content) throws IOException {
        Path file = dir.resolve("data.jsonl");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void promptCompletionLinesAreKeptExactly() throws IOException {
        LoadResult<GenerationDataset> result = JsonlReader.readGeneration(write(
                "{\"prompt\":\"name[A]\\n\",\"completion\":\" A is here.\"}\n"));
        assertEquals(new GenerationExample("name[A]\n", " A is here."), result.dataset().get(0));
    }

    @Test
    void alpacaUsesTheWithInputAndNoInputTemplates() throws IOException {
        LoadResult<GenerationDataset> result = JsonlReader.readAlpaca(write(
                "{\"instruction\":\"Add the numbers.\",\"input\":\"2, 3\",\"output\":\"5\"}\n"
                + "{\"instruction\":\"Name a colour.\",\"input\":\"\",\"output\":\"Blue.\"}\n"
                + "{\"instruction\":\"Say hi.\",\"output\":\"Hi.\"}\n"));
        GenerationDataset data = result.dataset();
        assertEquals(3, data.size());
        assertEquals("Below is an instruction that describes a task, paired with an input that provides further "
                + "context. Write a response that appropriately completes the request.\n\n"
                + "### Instruction:\nAdd the numbers.\n\n### Input:\n2, 3\n\n### Response:", data.get(0).prompt());
        assertEquals("5", data.get(0).completion());
        String noInput = "Below is an instruction that describes a task. Write a response that appropriately "
                + "completes the request.\n\n### Instruction:\nName a colour.\n\n### Response:";
        assertEquals(noInput, data.get(1).prompt(), "empty input: the no-input variant");
        assertEquals(noInput.replace("Name a colour.", "Say hi."), data.get(2).prompt(), "missing input too");
    }

    @Test
    void alpacaNamesMalformedLinesByNumber() throws IOException {
        Path file = write("{\"instruction\":\"ok\",\"output\":\"fine\"}\n"
                + "{\"instruction\":\"x\",\"input\":3,\"output\":\"y\"}\n"
                + "{\"instruction\":\"x\"}\n"
                + "{\"instruction\":[\"x\"],\"output\":\"y\"}\n"
                + "not json\n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> JsonlReader.readAlpaca(file));
        String m = e.getMessage();
        assertTrue(m.contains("4 of 5 non-blank lines are malformed"), m);
        assertTrue(m.contains("line 2: field \"input\" must be a string, got number 3"), m);
        assertTrue(m.contains("line 3: missing field \"output\""), m);
        assertTrue(m.contains("line 4: field \"instruction\" must be a string, got array"), m);
        assertTrue(m.contains("line 5: invalid JSON"), m);
    }

    @Test
    void referencesLinesNeedANonEmptyArrayOfStrings() throws IOException {
        LoadResult<List<List<String>>> ok = JsonlReader.readReferences(
                write("{\"references\":[\"A.\",\"It is A.\"]}\n{\"references\":[\"B.\"]}\n"), LoadPolicy.STRICT);
        assertEquals(List.of(List.of("A.", "It is A."), List.of("B.")), ok.dataset());

        Path bad = write("{\"references\":[\"A.\"]}\n{\"references\":[]}\n{\"references\":[\"B.\",7]}\n"
                + "{\"references\":\"C.\"}\n{\"refs\":[\"D.\"]}\n");
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> JsonlReader.readReferences(bad, LoadPolicy.STRICT));
        String m = e.getMessage();
        assertTrue(m.contains("line 2: field \"references\" is an empty array"), m);
        assertTrue(m.contains("line 3: references[1] must be a string, got number 7"), m);
        assertTrue(m.contains("line 4: field \"references\" must be an array of strings, got string"), m);
        assertTrue(m.contains("line 5: missing field \"references\""), m);
    }
}
