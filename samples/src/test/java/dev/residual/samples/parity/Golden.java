package dev.residual.samples.parity;

import dev.residual.runtime.io.SafetensorsFile;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/** The golden files written by {@code src/test/python/make_golden.py} with PyTorch. */
final class Golden {

    private Golden() {}

    /** A golden file by name, e.g. {@code small_resnet.safetensors}. */
    static Path file(String name) {
        try {
            var url = Golden.class.getResource("/golden/" + name);
            if (url == null) {
                throw new IllegalStateException("golden file " + name + " is missing; run "
                        + "/usr/bin/python3 samples/src/test/python/make_golden.py");
            }
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An I64 tensor as ints (labels). */
    static int[] ints(String file, String tensor) throws IOException {
        try (SafetensorsFile golden = SafetensorsFile.open(file(file))) {
            var bytes = golden.bytes(tensor);
            int[] values = new int[(int) (bytes.byteSize() / Long.BYTES)];
            var layout = java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < values.length; i++) {
                values[i] = Math.toIntExact(bytes.getAtIndex(layout, i));
            }
            return values;
        }
    }

    static float[] floats(String file, String tensor) throws IOException {
        try (SafetensorsFile golden = SafetensorsFile.open(file(file))) {
            return golden.floats(tensor);
        }
    }

    /**
     * The largest error relative to the reference's scale: {@code max|a − e| / max(1, max|e|)}. Scaling by the
     * largest reference value keeps near-zero logits from dominating, which is how PyTorch's own allclose is used
     * for whole outputs.
     */
    static double relativeError(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("lengths differ: " + actual.length + " vs " + expected.length);
        }
        double scale = 1, worst = 0;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < actual.length; i++) {
            if (Float.isNaN(actual[i])) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        return worst / scale;
    }
}
