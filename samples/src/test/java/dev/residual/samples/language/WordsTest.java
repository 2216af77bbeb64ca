package dev.residual.samples.language;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The word list as the language model reads it, and the alphabet it is spelled in. */
class WordsTest {

    @TempDir
    Path folder;

    @Test
    void keepsTheWordsTheAlphabetSpellsLowerCased() throws IOException {
        Path file = Files.writeString(folder.resolve("words"), "Hello\ncafé\ndon't\n\nA1\nzoo\n");
        List<String> words = Words.read(file);
        assertEquals(List.of("hello", "don't", "zoo"), words);
        int[] tokens = Words.tokens(List.of("ab", "z'"));
        assertArrayEquals(new int[] {0, 1, 2, 0, 26, 27, 0}, tokens);
        StringBuilder text = new StringBuilder();
        for (int token : tokens) {
            text.append(Alphabet.character(token));
        }
        assertEquals("\nab\nz'\n", text.toString());
    }

    @Test
    void aMissingDebianListSaysWhatToInstall() {
        assertEquals(false, Files.exists(folder.resolve("none")));
        var error = assertThrows(IllegalStateException.class, () -> Words.read(folder.resolve("none")));
        assertEquals("no word list at " + folder.resolve("none") + ": pass --words with a file of one word a line",
                error.getMessage());
        if (!Files.exists(Words.DEBIAN)) {
            var debian = assertThrows(IllegalStateException.class, () -> Words.read(Words.DEBIAN));
            assertEquals("no word list at /usr/share/dict/words: install Debian's English word list "
                    + "(sudo apt-get install wamerican), or pass --words FILE", debian.getMessage());
        }
    }

    @Test
    void aListWithNoUsableWordIsRejected() throws IOException {
        Path file = Files.writeString(folder.resolve("words"), "été\n42\n");
        var error = assertThrows(IllegalStateException.class, () -> Words.read(file));
        assertEquals(file + " holds no word spelled with a–z and ' only", error.getMessage());
    }
}
