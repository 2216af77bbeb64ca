package dev.residual.runtime.io;

import dev.residual.runtime.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Saves and loads model parameters as Hugging Face safetensors files, the format PyTorch users exchange weights in.
 * Reading one file in detail is {@link SafetensorsFile}.
 */
public final class Safetensors {

    /** PyTorch's BatchNorm stores a step counter, {@code *.num_batches_tracked} (I64), that a model need not load. */
    public static final Predicate<String> IGNORE_NUM_BATCHES_TRACKED =
            name -> name.equals("num_batches_tracked") || name.endsWith(".num_batches_tracked");

    private static final int CHUNK_BYTES = 1 << 20;

    private Safetensors() {}

    /**
     * A tensor of any dtype to write.
     *
     * @param data the values in native byte order (as {@link Tensor} and the {@code JAVA_*} layouts hold them),
     *             exactly {@code product(shape) · dtype.byteSize()} bytes; the writer stores them little-endian
     */
    public record Item(String name, Dtype dtype, long[] shape, MemorySegment data) {

        public Item {
            if (name == null || dtype == null || shape == null || data == null) {
                throw new NullPointerException("name, dtype, shape and data are required");
            }
            shape = shape.clone();
            long bytes = dtype.byteSize();
            for (long dimension : shape) {
                if (dimension < 0) {
                    throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
                }
                bytes = Math.multiplyExact(bytes, dimension);
            }
            if (data.byteSize() != bytes) {
                throw new IllegalArgumentException(name + ": a " + dtype + Arrays.toString(shape) + " tensor needs "
                        + bytes + " bytes, the segment has " + data.byteSize());
            }
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** An F32 item sharing the tensor's memory. */
        public static Item of(Tensor tensor) {
            return new Item(tensor.name(), Dtype.F32, Arrays.stream(tensor.shape()).asLongStream().toArray(),
                    tensor.data());
        }

        /** An I64 scalar (shape {@code []}), e.g. PyTorch's {@code num_batches_tracked}. */
        public static Item scalar(String name, long value) {
            return new Item(name, Dtype.I64, new long[0], MemorySegment.ofArray(new long[] {value}));
        }
    }

    /** Writes F32 tensors with no metadata; see {@link #write(Path, List, Map)}. */
    public static void save(Path file, List<Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /** Writes F32 tensors and string metadata; see {@link #writeItems}. */
    public static void write(Path file, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        writeItems(file, tensors.stream().map(Item::of).toList(), metadata);
    }

    /**
     * Writes a safetensors file atomically: into a temporary file in the same folder, flushed to disk, then renamed
     * over {@code file}. Readers see the old file or the new one, never half of one; a failure (an I/O error, or a
     * tensor whose memory is closed) deletes the temporary file and leaves any old file as it was.
     *
     * <p>The output depends only on the arguments: the header lists metadata and tensors sorted by name and is
     * padded with spaces so the data starts at a multiple of 8 bytes; the data is laid out largest dtype first, then
     * by name, as the reference writer does, so every tensor is aligned to its element size when mapped.
     *
     * @throws IllegalArgumentException for duplicate names, a tensor named {@code __metadata__}, or a name that is
     *                                  not valid Unicode
     */
    public static void writeItems(Path file, List<Item> items, Map<String, String> metadata) throws IOException {
        List<Item> byName = checkedAndSorted(items, metadata);
        List<Item> byLayout = new ArrayList<>(byName);
        byLayout.sort(Comparator.comparingInt((Item item) -> -item.dtype().byteSize()).thenComparing(Item::name));
        byte[] header = header(byName, byLayout, metadata);

        Path folder = file.toAbsolutePath().getParent();
        Path temporary = null;
        try {
            temporary = createTemporary(folder, file.getFileName().toString());
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                writeFully(channel, prefix);
                writeFully(channel, ByteBuffer.wrap(header));
                writeData(channel, byLayout);
                channel.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (Throwable failure) {
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException e) {
                    failure.addSuppressed(e);
                }
            }
            throw failure;
        }
        syncFolder(folder);
    }

    /** A new empty file next to the target; createFile keeps the usual permissions, unlike createTempFile's 0600. */
    private static Path createTemporary(Path folder, String name) throws IOException {
        while (true) {
            Path candidate = folder.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
                    + ".tmp");
            try {
                return Files.createFile(candidate);
            } catch (FileAlreadyExistsException e) {
                // another writer's temporary file: draw another name
            }
        }
    }

    private static List<Item> checkedAndSorted(List<Item> items, Map<String, String> metadata) {
        Set<String> seen = new HashSet<>();
        Set<String> duplicates = new LinkedHashSet<>();
        for (Item item : items) {
            if (!seen.add(item.name())) {
                duplicates.add(item.name());
            }
            checkUnicode("tensor name", item.name());
        }
        if (!duplicates.isEmpty()) {
            throw new IllegalArgumentException("tensor names must be unique; repeated: " + duplicates);
        }
        if (seen.contains("__metadata__")) {
            throw new IllegalArgumentException("a tensor may not be named __metadata__ (the format reserves it)");
        }
        metadata.forEach((key, value) -> {
            checkUnicode("metadata key", key);
            checkUnicode("metadata value", value);
        });
        List<Item> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparing(Item::name));
        return sorted;
    }

    /** A lone surrogate would silently become '?' in UTF-8, so the file would hold a different name. */
    private static void checkUnicode(String what, String text) {
        if (!StandardCharsets.UTF_8.newEncoder().canEncode(text)) {
            throw new IllegalArgumentException(what + " \"" + text + "\" is not valid Unicode (a lone surrogate)");
        }
    }

    private static byte[] header(List<Item> byName, List<Item> byLayout, Map<String, String> metadata) {
        Map<String, List<Long>> offsets = new HashMap<>();
        long offset = 0;
        for (Item item : byLayout) {
            offsets.put(item.name(), List.of(offset, offset + item.data().byteSize()));
            offset += item.data().byteSize();
        }
        Map<String, Object> root = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            root.put("__metadata__", new TreeMap<>(metadata));
        }
        for (Item item : byName) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", item.dtype().name());
            entry.put("shape", Arrays.stream(item.shape()).boxed().toList());
            entry.put("data_offsets", offsets.get(item.name()));
            root.put(item.name(), entry);
        }
        byte[] json = Json.write(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7; // 8 + padded is a multiple of 8
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    /** Copies through a little-endian buffer, so the file is right whatever the platform's byte order. */
    private static void writeData(FileChannel channel, List<Item> byLayout) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES);
        MemorySegment chunk = MemorySegment.ofBuffer(buffer);
        for (Item item : byLayout) {
            ValueLayout element = item.dtype().layout();
            long perChunk = CHUNK_BYTES / element.byteSize();
            long count = item.data().byteSize() / element.byteSize();
            for (long done = 0; done < count; done += perChunk) {
                long n = Math.min(perChunk, count - done);
                MemorySegment.copy(item.data(), element, done * element.byteSize(), chunk,
                        element.withOrder(ByteOrder.LITTLE_ENDIAN), 0, n);
                writeFully(channel, buffer.clear().limit((int) (n * element.byteSize())));
            }
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Makes the rename itself durable. Linux allows fsync on a folder; where that fails, the rename still stands. */
    private static void syncFolder(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // best effort: the file is complete and in place either way
        }
    }

    /** Loads a file into the model's tensors, ignoring {@code *.num_batches_tracked}; see the overload. */
    public static void loadInto(Path file, List<Tensor> targets) throws IOException {
        loadInto(file, targets, IGNORE_NUM_BATCHES_TRACKED);
    }

    /**
     * Copies every tensor of a file into the target of the same name. First compares the whole file with the
     * targets; if any name is missing or unexpected, or any shape or dtype differs, it throws one
     * {@link CheckpointMismatchException} listing all of them and leaves every target unchanged.
     *
     * @param ignore names in the file that need no target (they are neither loaded nor reported as unexpected)
     * @throws IllegalArgumentException if two targets share a name
     */
    public static void loadInto(Path file, List<Tensor> targets, Predicate<String> ignore) throws IOException {
        Map<String, Tensor> byName = new LinkedHashMap<>();
        for (Tensor target : targets) {
            if (byName.put(target.name(), target) != null) {
                throw new IllegalArgumentException("two targets are named \"" + target.name() + "\"");
            }
        }
        try (SafetensorsFile in = SafetensorsFile.open(file)) {
            List<String> missing = new ArrayList<>();
            List<String> misshaped = new ArrayList<>();
            List<String> wrongDtype = new ArrayList<>();
            for (Tensor target : byName.values()) {
                SafetensorsFile.Entry entry = in.entries().get(target.name());
                if (entry == null) {
                    missing.add(target.name());
                    continue;
                }
                long[] expected = Arrays.stream(target.shape()).asLongStream().toArray();
                if (!Arrays.equals(expected, entry.shape())) {
                    misshaped.add(target.name() + ": model " + Arrays.toString(expected) + ", file "
                            + Arrays.toString(entry.shape()));
                }
                if (entry.dtype() != Dtype.F32) {
                    wrongDtype.add(target.name() + ": model F32, file " + entry.dtype());
                }
            }
            List<String> unexpected = in.entries().keySet().stream()
                    .filter(name -> !byName.containsKey(name) && !ignore.test(name))
                    .toList();
            if (!missing.isEmpty() || !unexpected.isEmpty() || !misshaped.isEmpty() || !wrongDtype.isEmpty()) {
                throw new CheckpointMismatchException(file, missing, unexpected, misshaped, wrongDtype);
            }
            for (Tensor target : byName.values()) {
                in.copyTo(target.name(), target.data());
            }
        }
    }
}
