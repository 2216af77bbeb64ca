package dev.residual.samples.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A small CSV table of results (RFC 4180: comma-separated, {@code \n} line ends, fields quoted only when they hold a
 * comma, a quote or a line break), kept in memory and written whole, atomically.
 *
 * <pre>{@code
 * CsvWriter csv = CsvWriter.withHeader("model", "depth", "epoch", "train_loss", "test_acc");
 * csv.row("resnet", 20, 1, 1.2345, 0.61);
 * csv.write(Path.of("target/depth.csv")); // again after every row, to keep a partial table on disk
 * }</pre>
 *
 * <p>Numbers are written with {@link String#valueOf}, so in any locale with a '.' and in full precision (a
 * {@code float} as its shortest decimal, {@code 0.1f} as 0.1). Null is an empty field.
 */
public final class CsvWriter {

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    private CsvWriter(List<String> header) {
        this.header = header;
    }

    /** A new, empty table with these column names (at least one). */
    public static CsvWriter withHeader(String... columns) {
        if (columns.length == 0) {
            throw new IllegalArgumentException("a CSV table needs at least one column");
        }
        for (String column : columns) {
            Objects.requireNonNull(column, "column name");
        }
        return new CsvWriter(List.of(columns));
    }

    /**
     * Appends a row: one value per column, each written as {@link String#valueOf(Object)} (null: empty).
     *
     * @throws IllegalArgumentException if the number of values is not the number of columns
     */
    public CsvWriter row(Object... values) {
        if (values.length != header.size()) {
            throw new IllegalArgumentException("row has " + values.length + " values for " + header.size()
                    + " columns " + header);
        }
        List<String> row = new ArrayList<>(values.length);
        for (Object value : values) {
            row.add(value == null ? "" : String.valueOf(value));
        }
        rows.add(row);
        return this;
    }

    /** The number of rows so far, header not counted. */
    public int size() {
        return rows.size();
    }

    /** The whole table as CSV text, header first, every line ended by {@code \n}. */
    public String text() {
        StringBuilder text = new StringBuilder();
        appendLine(text, header);
        for (List<String> row : rows) {
            appendLine(text, row);
        }
        return text.toString();
    }

    /** Writes {@link #text()} as UTF-8 to {@code file}, atomically (temporary file, then rename); may be repeated. */
    public void write(Path file) throws IOException {
        byte[] bytes = text().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    private static void appendLine(StringBuilder text, List<String> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                text.append(',');
            }
            text.append(quote(fields.get(i)));
        }
        text.append('\n');
    }

    static String quote(String field) {
        boolean plain = field.chars().noneMatch(c -> c == ',' || c == '"' || c == '\n' || c == '\r');
        return plain ? field : '"' + field.replace("\"", "\"\"") + '"';
    }
}
