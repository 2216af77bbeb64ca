package dev.residual.samples.language;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The training text: a word list, one word a line — by default Debian's {@code wamerican}
 * ({@code /usr/share/dict/words}). Words are lower-cased; words with a character outside the {@link Alphabet}
 * (accented letters, digits) are left out.
 */
public final class Words {

    /** Debian's {@code wamerican}. */
    public static final Path DEBIAN = Path.of("/usr/share/dict/words");

    private Words() {}

    /**
     * The words of the file that the alphabet can spell, in file order.
     *
     * @throws IllegalStateException with what to install when the file is missing or holds no usable word
     */
    public static List<String> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no word list at " + file + (file.equals(DEBIAN)
                    ? ": install Debian's English word list (sudo apt-get install wamerican), or pass --words FILE"
                    : ": pass --words with a file of one word a line"));
        }
        List<String> words = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String word = line.strip().toLowerCase(Locale.ROOT);
            if (!word.isEmpty() && word.chars().allMatch(c -> Alphabet.token((char) c) > 0)) {
                words.add(word);
            }
        }
        if (words.isEmpty()) {
            throw new IllegalStateException(file + " holds no word spelled with a–z and ' only");
        }
        return words;
    }

    /** The words as one stream of tokens, each word followed by {@link Alphabet#END}, starting with one. */
    public static int[] tokens(List<String> words) {
        int length = 1;
        for (String word : words) {
            length += word.length() + 1;
        }
        int[] tokens = new int[length];
        int at = 0;
        tokens[at++] = Alphabet.END;
        for (String word : words) {
            for (int i = 0; i < word.length(); i++) {
                tokens[at++] = Alphabet.token(word.charAt(i));
            }
            tokens[at++] = Alphabet.END;
        }
        return tokens;
    }
}
