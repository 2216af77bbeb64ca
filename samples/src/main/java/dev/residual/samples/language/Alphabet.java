package dev.residual.samples.language;

/**
 * The characters the language model knows, fixed at compile time (the vocabulary is a shape): token 0 ends a word
 * (a newline in the text), 1–26 are {@code a}–{@code z}, 27 is the apostrophe of "don't".
 */
public final class Alphabet {

    /** Tokens: the end of a word, 26 letters, the apostrophe. */
    public static final int SIZE = 28;

    /** The token that separates words. */
    public static final int END = 0;

    private static final int APOSTROPHE = 27;

    private Alphabet() {}

    /** The token of a character, or -1 when the alphabet does not have it (lower-case it first). */
    public static int token(char c) {
        if (c >= 'a' && c <= 'z') {
            return 1 + c - 'a';
        }
        return c == '\'' ? APOSTROPHE : c == '\n' ? END : -1;
    }

    /** The character of a token. */
    public static char character(int token) {
        if (token == END) {
            return '\n';
        }
        return token == APOSTROPHE ? '\'' : (char) ('a' + token - 1);
    }
}
