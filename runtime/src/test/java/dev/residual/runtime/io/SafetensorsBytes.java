package dev.residual.runtime.io;

import dev.residual.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Test helpers: safetensors files built byte by byte from the spec, and tensors with known values. */
final class SafetensorsBytes {

    private SafetensorsBytes() {}

    /** The 8-byte little-endian header length, the header as given (no padding added), then the data. */
    static byte[] file(String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).put(data).array();
    }

    /** Little-endian float32 bytes. */
    static byte[] f32(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            buffer.putFloat(value);
        }
        return buffer.array();
    }

    /** Little-endian int64 bytes. */
    static byte[] i64(long... values) {
        ByteBuffer buffer = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long value : values) {
            buffer.putLong(value);
        }
        return buffer.array();
    }

    static byte[] concat(byte[]... parts) {
        ByteBuffer buffer = ByteBuffer.allocate(java.util.Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] part : parts) {
            buffer.put(part);
        }
        return buffer.array();
    }

    /** A tensor in {@code arena} holding {@code start, start + 1, ...}. */
    static Tensor tensor(Arena arena, String name, float start, int... shape) {
        MemorySegment data = arena.allocate(ValueLayout.JAVA_FLOAT, Tensor.elementCount(shape));
        Tensor tensor = new Tensor(name, shape, data);
        for (long i = 0; i < tensor.size(); i++) {
            tensor.set(i, start + i);
        }
        return tensor;
    }
}
