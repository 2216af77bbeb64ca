package dev.residual.samples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvWriterTest {

    @TempDir
    Path dir;

    @Test
    void writesHeaderAndRows() {
        CsvWriter csv = CsvWriter.withHeader("model", "depth", "loss", "acc")
                .row("resnet", 20, 0.1f, 0.915)
                .row("plain", 56, 1.5e-7, null);
        assertEquals("model,depth,loss,acc\nresnet,20,0.1,0.915\nplain,56,1.5E-7,\n", csv.text());
        assertEquals(2, csv.size());
    }

    @Test
    void roundTripsThroughAFile() throws IOException {
        List<List<String>> table = List.of(
                List.of("name", "note", "value"),
                List.of("a,b", "say \"hi\"", "1.25"),
                List.of("two\nlines", "", "-3"),
                List.of("ünïcödé", "cr\rhere", "NaN"));
        CsvWriter csv = CsvWriter.withHeader(table.get(0).toArray(String[]::new));
        for (List<String> row : table.subList(1, table.size())) {
            csv.row(row.toArray());
        }
        Path file = dir.resolve("results/depth.csv");
        csv.write(file);
        assertEquals(table, parse(Files.readString(file, StandardCharsets.UTF_8)));

        csv.row("later", "row", "4").write(file); // rewritten whole, atomically
        assertEquals(table.size() + 1, parse(Files.readString(file)).size());
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList(), "no temporary file left");
        }
    }

    @Test
    void rowsMustFitTheHeader() {
        CsvWriter csv = CsvWriter.withHeader("a", "b");
        assertThrows(IllegalArgumentException.class, () -> csv.row(1));
        assertThrows(IllegalArgumentException.class, () -> csv.row(1, 2, 3));
        assertThrows(IllegalArgumentException.class, CsvWriter::withHeader);
    }

    /** An RFC 4180 reader, independent of the writer's code. */
    private static List<List<String>> parse(String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                row.add(field.toString());
                field.setLength(0);
            } else if (c == '\n') {
                row.add(field.toString());
                field.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
            } else {
                field.append(c);
            }
        }
        return rows;
    }
}
