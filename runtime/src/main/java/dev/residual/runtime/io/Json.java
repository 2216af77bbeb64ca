package dev.residual.runtime.io;

import java.io.Serial;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subset of JSON a safetensors header uses, strictly: objects (as {@link LinkedHashMap}, duplicate keys
 * rejected), arrays ({@link List}), strings with every JSON escape ({@link String}) and integers ({@link Long}).
 * Fractions, exponents, {@code true}, {@code false} and {@code null} are rejected with a message saying so, rather
 * than parsed into something the caller would then have to reject less clearly.
 */
final class Json {

    /** Safetensors needs depth 3 (header, entry, shape); the cap keeps a hostile header from overflowing the stack. */
    static final int MAX_DEPTH = 16;

    /** A syntax error; the message says where (a character index into the header) and what was found. */
    static final class ParseException extends Exception {
        @Serial
        private static final long serialVersionUID = 1L;

        ParseException(String message) {
            super(message);
        }
    }

    private final String text;
    private int at;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one value; only JSON whitespace may follow it. */
    static Object parse(String text) throws ParseException {
        Json json = new Json(text);
        Object value = json.value(0);
        json.skipWhitespace();
        if (json.at < text.length()) {
            throw json.error("unexpected " + json.found() + " after the end of the JSON value");
        }
        return value;
    }

    private Object value(int depth) throws ParseException {
        if (depth > MAX_DEPTH) {
            throw error("objects and arrays nested deeper than " + MAX_DEPTH + " levels");
        }
        skipWhitespace();
        if (at >= text.length()) {
            throw error("the JSON ends where a value was expected");
        }
        char c = text.charAt(at);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't', 'f', 'n' -> throw error(found() + ": true, false and null do not occur in a safetensors header");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield integer();
                }
                throw error("unexpected " + found() + " where a value was expected");
            }
        };
    }

    private Map<String, Object> object(int depth) throws ParseException {
        at++; // '{'
        Map<String, Object> members = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            at++;
            return members;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a quoted key, found " + found());
            }
            int keyAt = at;
            String key = string();
            skipWhitespace();
            expect(':');
            Object value = value(depth + 1);
            if (members.putIfAbsent(key, value) != null) {
                at = keyAt;
                throw error("duplicate key \"" + key + "\"");
            }
            skipWhitespace();
            if (peek() == ',') {
                at++;
            } else if (peek() == '}') {
                at++;
                return members;
            } else {
                throw error("expected ',' or '}' after the value of \"" + key + "\", found " + found());
            }
        }
    }

    private List<Object> array(int depth) throws ParseException {
        at++; // '['
        List<Object> elements = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            at++;
            return elements;
        }
        while (true) {
            elements.add(value(depth + 1));
            skipWhitespace();
            if (peek() == ',') {
                at++;
            } else if (peek() == ']') {
                at++;
                return elements;
            } else {
                throw error("expected ',' or ']' in an array, found " + found());
            }
        }
    }

    private String string() throws ParseException {
        int start = at;
        at++; // '"'
        StringBuilder out = new StringBuilder();
        while (true) {
            if (at >= text.length()) {
                at = start;
                throw error("a string is not closed");
            }
            char c = text.charAt(at++);
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                at--;
                throw error("control character U+" + hex4(c) + " inside a string (JSON requires it escaped)");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (at >= text.length()) {
                continue; // reported as an unclosed string on the next turn
            }
            char escape = text.charAt(at++);
            switch (escape) {
                case '"', '\\', '/' -> out.append(escape);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    char unit = hexEscape();
                    if (Character.isHighSurrogate(unit)) {
                        // A name must be valid Unicode, or it cannot be written back as UTF-8 unchanged.
                        if (!text.startsWith("\\u", at)) {
                            throw error("\\u" + hex4(unit) + " is half of a surrogate pair without its other half");
                        }
                        at += 2;
                        char low = hexEscape();
                        if (!Character.isLowSurrogate(low)) {
                            throw error("\\u" + hex4(unit) + " is not followed by a low surrogate");
                        }
                        out.append(unit).append(low);
                    } else if (Character.isLowSurrogate(unit)) {
                        throw error("\\u" + hex4(unit) + " is half of a surrogate pair without its other half");
                    } else {
                        out.append(unit);
                    }
                }
                default -> {
                    at -= 2;
                    throw error("unknown escape \\" + escape);
                }
            }
        }
    }

    private char hexEscape() throws ParseException {
        if (at + 4 > text.length()) {
            throw error("\\u needs four hex digits");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(at + i), 16);
            if (digit < 0) {
                throw error("\\u needs four hex digits, found \"" + text.substring(at, at + 4) + "\"");
            }
            value = value * 16 + digit;
        }
        at += 4;
        return (char) value;
    }

    private Long integer() throws ParseException {
        int start = at;
        if (peek() == '-') {
            at++;
        }
        if (!isDigit(peek())) {
            throw error("a '-' must be followed by digits");
        }
        if (peek() == '0' && isDigit(peekAt(at + 1))) {
            throw error("a number with a leading zero");
        }
        while (isDigit(peek())) {
            at++;
        }
        char next = peek();
        if (next == '.' || next == 'e' || next == 'E') {
            at = start;
            throw error("a fractional or exponent number; a safetensors header holds integers only");
        }
        String digits = text.substring(start, at);
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            at = start;
            throw error("the integer " + digits + " does not fit in 64 bits");
        }
    }

    private void expect(char c) throws ParseException {
        if (peek() != c) {
            throw error("expected '" + c + "', found " + found());
        }
        at++;
    }

    private void skipWhitespace() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }

    /** The character at the cursor, or 0 at the end (0 never starts a valid token). */
    private char peek() {
        return peekAt(at);
    }

    private char peekAt(int index) {
        return index < text.length() ? text.charAt(index) : 0;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private String found() {
        if (at >= text.length()) {
            return "the end of the header";
        }
        char c = text.charAt(at);
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : "U+" + hex4(c);
    }

    private ParseException error(String what) {
        return new ParseException(what + " at character " + at + " of the header");
    }

    private static String hex4(char c) {
        return String.format("%04X", (int) c);
    }

    // ---- writing -------------------------------------------------------------------------------------------------

    /** Compact JSON (no spaces, as the reference writer emits) for maps, lists, strings and integers. */
    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out) {
        switch (value) {
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> member : map.entrySet()) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    quote((String) member.getKey(), out);
                    out.append(':');
                    write(member.getValue(), out);
                }
                out.append('}');
            }
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    write(list.get(i), out);
                }
                out.append(']');
            }
            case String string -> quote(string, out);
            case Long number -> out.append(number.longValue());
            default -> throw new IllegalArgumentException("not writable as safetensors JSON: " + value.getClass());
        }
    }

    private static void quote(String string, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < string.length(); i++) {
            char c = string.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u").append(hex4(c));
                    } else {
                        out.append(c); // non-ASCII stays as UTF-8, as serde_json writes it
                    }
                }
            }
        }
        out.append('"');
    }
}
