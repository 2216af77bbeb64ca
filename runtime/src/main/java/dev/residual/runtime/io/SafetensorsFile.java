package dev.residual.runtime.io;

import dev.residual.runtime.Tensor;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An open safetensors file: its entries, its metadata and read-only access to its data.
 *
 * <p>{@link #open} reads and checks the whole header before it touches the data, so every inconsistency (truncation,
 * bad JSON, unknown dtype, offsets outside the data, sizes that do not match shapes, overlapping tensors, duplicate
 * names) is a {@link SafetensorsFormatException} up front and never an out-of-bounds access later. The data is then
 * memory-mapped, not copied; {@link #close} unmaps it, after which the data methods throw
 * {@link IllegalStateException}. Do not truncate the file while it is open: reading a page that no longer exists
 * crashes the access.
 *
 * <p>Unlike the reference reader this one accepts gaps between tensors and bytes after the last one; neither can make
 * a read go wrong, and both are checked to lie inside the file.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The largest header accepted, as in the reference implementation: a bound on what a corrupt length allocates. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";
    private static final Set<String> ENTRY_FIELDS = Set.of("dtype", "shape", "data_offsets");
    private static final String TRUNCATED = "The file is truncated or is not a safetensors file: if it was downloaded"
            + " or copied, do that again; if it was saved, save it again.";
    private static final String CORRUPT = "The file is corrupt or was written by a broken writer: download it again,"
            + " or save it again (in PyTorch: safetensors.torch.save_file(model.state_dict(), path)).";

    /**
     * One tensor as the header describes it.
     *
     * @param begin first byte of the data, relative to the start of the data area (the byte after the header)
     * @param end   one past the last byte
     */
    public record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {

        public Entry {
            shape = shape.clone();
        }

        /** The dimensions (a copy). */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** The product of the dimensions; 1 for a scalar (shape {@code []}). */
        public long elementCount() {
            long count = 1;
            for (long dimension : shape) {
                count *= dimension; // cannot overflow: checked when the header was read
            }
            return count;
        }

        public long byteSize() {
            return end - begin;
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape);
        }
    }

    private final Path path;
    private final Map<String, String> metadata;
    private final Map<String, Entry> entries;
    private final Arena arena;
    private final MemorySegment data;

    private SafetensorsFile(Path path, Map<String, String> metadata, Map<String, Entry> entries, Arena arena,
            MemorySegment data) {
        this.path = path;
        this.metadata = metadata;
        this.entries = entries;
        this.arena = arena;
        this.data = data;
    }

    /** Opens a file, checks its whole header and maps its data. */
    public static SafetensorsFile open(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            long headerLength = headerLength(path, channel, size);
            long dataStart = 8 + headerLength;
            String header = decode(path, read(path, channel, 8, (int) headerLength));
            Map<String, String> metadata = new TreeMap<>();
            Map<String, Entry> entries = parse(path, header, size - dataStart, metadata);
            Arena arena = Arena.ofShared(); // shared: any thread may read, and close
            try {
                MemorySegment data = channel.map(FileChannel.MapMode.READ_ONLY, dataStart, size - dataStart, arena);
                return new SafetensorsFile(path, Collections.unmodifiableMap(metadata), entries, arena,
                        data.asReadOnly());
            } catch (IOException | RuntimeException | Error e) {
                arena.close();
                throw e;
            }
        }
    }

    private static long headerLength(Path path, FileChannel channel, long size) throws IOException {
        if (size < 8) {
            throw new SafetensorsFormatException(path, "it is " + size + " bytes long, shorter than the 8-byte header"
                    + " length that starts every safetensors file", TRUNCATED);
        }
        ByteBuffer prefix = read(path, channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
        long length = prefix.getLong(0); // unsigned in the file: a negative long is above 2^63, far too large
        if (length < 0 || length > size - 8) {
            String problem = "its first 8 bytes give a header length of " + Long.toUnsignedString(length)
                    + " bytes, but only " + (size - 8) + " bytes follow them";
            if (prefix.getInt(0) == 0x04034b50) { // "PK\3\4"
                throw new SafetensorsFormatException(path, problem, "It starts like a zip archive, which is what"
                        + " PyTorch's torch.save writes (.pt/.pth), not safetensors. Convert it in Python: from"
                        + " safetensors.torch import save_file; save_file(torch.load(p), 'model.safetensors').");
            }
            throw new SafetensorsFormatException(path, problem, TRUNCATED);
        }
        if (length > MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(path, "its header length is " + length + " bytes, above the limit of "
                    + MAX_HEADER_BYTES + " bytes", CORRUPT);
        }
        return length;
    }

    private static ByteBuffer read(Path path, FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new EOFException(path + " shrank while it was being read; is another program writing it?");
            }
        }
        return buffer.flip();
    }

    private static String decode(Path path, ByteBuffer header) throws SafetensorsFormatException {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(header)
                    .toString();
            if (!text.startsWith("{")) {
                throw new SafetensorsFormatException(path, "its header does not start with '{'"
                        + (text.isEmpty() ? " (it is empty)" : ""), CORRUPT);
            }
            return text;
        } catch (CharacterCodingException e) {
            throw new SafetensorsFormatException(path, "its header is not valid UTF-8 (" + e.getMessage() + ")",
                    CORRUPT);
        }
    }

    /** Checks the header completely; fills {@code metadata} and returns the entries sorted by name. */
    private static Map<String, Entry> parse(Path path, String header, long dataSize, Map<String, String> metadata)
            throws SafetensorsFormatException {
        Object root;
        try {
            root = Json.parse(header);
        } catch (Json.ParseException e) {
            throw new SafetensorsFormatException(path, "its header is not valid JSON: " + e.getMessage(), CORRUPT);
        }
        // root is an object: the header starts with '{' and parsed as one JSON value
        Map<String, Entry> entries = new TreeMap<>();
        for (Map.Entry<?, ?> member : ((Map<?, ?>) root).entrySet()) {
            String name = (String) member.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata(path, member.getValue(), metadata);
            } else {
                entries.put(name, entry(path, name, member.getValue(), dataSize));
            }
        }
        checkNoOverlap(path, entries.values());
        return Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    private static void metadata(Path path, Object value, Map<String, String> metadata)
            throws SafetensorsFormatException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafetensorsFormatException(path, "\"__metadata__\" is " + describe(value)
                    + ", not an object of strings", CORRUPT);
        }
        for (Map.Entry<?, ?> member : map.entrySet()) {
            if (!(member.getValue() instanceof String string)) {
                throw new SafetensorsFormatException(path, "\"__metadata__\" maps \"" + member.getKey() + "\" to "
                        + describe(member.getValue()) + "; metadata values must be strings", CORRUPT);
            }
            metadata.put((String) member.getKey(), string);
        }
    }

    private static Entry entry(Path path, String name, Object value, long dataSize)
            throws SafetensorsFormatException {
        String where = "tensor \"" + name + "\"";
        if (!(value instanceof Map<?, ?> fields)) {
            throw new SafetensorsFormatException(path, where + " is described by " + describe(value)
                    + ", not an object with dtype, shape and data_offsets", CORRUPT);
        }
        for (Object key : fields.keySet()) {
            if (!ENTRY_FIELDS.contains(key)) {
                throw new SafetensorsFormatException(path, where + " has an unknown field \"" + key
                        + "\" (expected only dtype, shape and data_offsets)", CORRUPT);
            }
        }
        if (!(fields.get("dtype") instanceof String dtypeName)) {
            throw new SafetensorsFormatException(path, where + " has dtype " + describe(fields.get("dtype"))
                    + ", not a string", CORRUPT);
        }
        Dtype dtype;
        try {
            dtype = Dtype.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new SafetensorsFormatException(path, where + " has dtype \"" + dtypeName + "\", which this reader"
                    + " does not know (it knows " + Arrays.toString(Dtype.values()) + ")", "Convert the tensor in"
                    + " PyTorch (e.g. tensor.float()) and save the file again.");
        }
        long[] shape = integers(path, where, "shape", fields.get("shape"));
        long elements = 1;
        for (long dimension : shape) {
            if (dimension < 0) {
                throw new SafetensorsFormatException(path, where + " has shape " + Arrays.toString(shape)
                        + " with a negative dimension", CORRUPT);
            }
            try {
                elements = Math.multiplyExact(elements, dimension);
            } catch (ArithmeticException e) {
                throw new SafetensorsFormatException(path, where + " has shape " + Arrays.toString(shape)
                        + ", more elements than fit in 64 bits", CORRUPT);
            }
        }
        long[] offsets = integers(path, where, "data_offsets", fields.get("data_offsets"));
        if (offsets.length != 2) {
            throw new SafetensorsFormatException(path, where + " has data_offsets " + Arrays.toString(offsets)
                    + "; it needs exactly two numbers, [begin, end]", CORRUPT);
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || begin > end) {
            throw new SafetensorsFormatException(path, where + " has data_offsets [" + begin + ", " + end
                    + "]; they must satisfy 0 <= begin <= end", CORRUPT);
        }
        if (end > dataSize) {
            throw new SafetensorsFormatException(path, where + " has data_offsets [" + begin + ", " + end
                    + "] but the data area after the header holds only " + dataSize + " bytes", TRUNCATED);
        }
        long needed;
        try {
            needed = Math.multiplyExact(elements, dtype.byteSize());
        } catch (ArithmeticException e) {
            needed = -1; // larger than any range that fits in the file
        }
        if (needed != end - begin) {
            throw new SafetensorsFormatException(path, where + " has data_offsets [" + begin + ", " + end + "] ("
                    + (end - begin) + " bytes) but dtype " + dtype + " and shape " + Arrays.toString(shape) + " need "
                    + (needed < 0 ? "2^63 or more" : needed) + " bytes", CORRUPT);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long[] integers(Path path, String where, String field, Object value)
            throws SafetensorsFormatException {
        if (value == null) {
            throw new SafetensorsFormatException(path, where + " has no \"" + field + "\"", CORRUPT);
        }
        if (value instanceof List<?> list && list.stream().allMatch(Long.class::isInstance)) {
            return list.stream().mapToLong(Long.class::cast).toArray();
        }
        throw new SafetensorsFormatException(path, where + " has " + field + " " + describe(value)
                + ", not an array of integers", CORRUPT);
    }

    /** Two tensors sharing bytes would make writing one silently change the other. */
    private static void checkNoOverlap(Path path, Iterable<Entry> entries) throws SafetensorsFormatException {
        List<Entry> byOffset = new ArrayList<>();
        entries.forEach(byOffset::add);
        byOffset.removeIf(entry -> entry.byteSize() == 0); // an empty tensor occupies no bytes
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry previous = byOffset.get(i - 1);
            Entry next = byOffset.get(i);
            if (next.begin() < previous.end()) {
                throw new SafetensorsFormatException(path, "tensors \"" + previous.name() + "\" (bytes "
                        + previous.begin() + " to " + previous.end() + ") and \"" + next.name() + "\" (bytes "
                        + next.begin() + " to " + next.end() + ") overlap", CORRUPT);
            }
        }
    }

    private static String describe(Object value) {
        return switch (value) {
            case null -> "missing";
            case Map<?, ?> _ -> "an object";
            case List<?> _ -> "an array";
            case String string -> "the string \"" + string + "\"";
            default -> "the number " + value;
        };
    }

    // ---- access --------------------------------------------------------------------------------------------------

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} strings, sorted by key; empty when the file has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Every tensor, sorted by name. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The entry of one tensor; {@link IllegalArgumentException} if the file has no such tensor. */
    public Entry entry(String name) {
        Entry entry = entries.get(name);
        if (entry == null) {
            throw new IllegalArgumentException(path + " has no tensor \"" + name + "\"; it has " + entries.size()
                    + " tensors: " + String.join(", ", entries.keySet()));
        }
        return entry;
    }

    /** A read-only view of a tensor's bytes as stored: little-endian, row-major. Valid until {@link #close}. */
    public MemorySegment bytes(String name) {
        Entry entry = entry(name);
        return data.asSlice(entry.begin(), entry.byteSize());
    }

    /**
     * Copies a tensor's values into {@code target} in native byte order (the order {@link Tensor} and the
     * {@code JAVA_*} layouts use); {@code target} must be exactly {@link Entry#byteSize()} bytes.
     */
    public void copyTo(String name, MemorySegment target) {
        Entry entry = entry(name);
        if (target.byteSize() != entry.byteSize()) {
            throw new IllegalArgumentException(entry + " is " + entry.byteSize() + " bytes, the target "
                    + target.byteSize());
        }
        ValueLayout element = entry.dtype().layout();
        MemorySegment.copy(bytes(name), element.withOrder(ByteOrder.LITTLE_ENDIAN), 0, target, element, 0,
                entry.elementCount());
    }

    /** The values of an F32 tensor. */
    public float[] floats(String name) {
        fitsAnArray(typed(name, Dtype.F32));
        return bytes(name).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /** The values of an I64 tensor: a step count, batch indices, PyTorch's {@code num_batches_tracked}. */
    public long[] longs(String name) {
        fitsAnArray(typed(name, Dtype.I64));
        return bytes(name).toArray(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    private static void fitsAnArray(Entry entry) {
        if (entry.elementCount() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(entry + " has too many elements for a Java array; use copyTo");
        }
    }

    /** A copy of an F32 tensor in memory of {@code arena}, independent of this file. */
    public Tensor tensor(String name, Arena arena) {
        Entry entry = typed(name, Dtype.F32);
        int[] shape = new int[entry.shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (entry.shape[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(entry + " has a dimension too large for a Tensor");
            }
            shape[i] = (int) entry.shape[i];
        }
        MemorySegment memory = arena.allocate(ValueLayout.JAVA_FLOAT, entry.elementCount());
        copyTo(name, memory);
        return new Tensor(name, shape, memory);
    }

    private Entry typed(String name, Dtype dtype) {
        Entry entry = entry(name);
        if (entry.dtype() != dtype) {
            throw new IllegalArgumentException(path + ": " + entry + " is " + entry.dtype() + ", not " + dtype);
        }
        return entry;
    }

    /** Unmaps the data; the entries and metadata stay readable. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
