package dev.residual.runtime.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.residual.runtime.data.EpochOrder;
import dev.residual.runtime.io.SafetensorsFile;
import dev.residual.runtime.ops.Init;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URL;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link TorchGenerator}, {@link Init} and {@link EpochOrder#shuffled} against what PyTorch 1.13 drew from the same
 * seeds ({@code golden/random.safetensors}, written by {@code src/test/python/make_random_golden.py}): uniforms and
 * default initializations bit for bit, normals to a float's last places, permutations index for index.
 */
class TorchGeneratorTest {

    /** The modules the script constructs after {@code torch.manual_seed(3)}, as its metadata spells them. */
    private static final String LAYERS = "[[\"conv\", 3, 8, 3, true], [\"linear\", 17, 5, true], [\"embedding\", 11, 7],"
            + " [\"conv\", 2, 4, 1, false], [\"embedding\", 4, 4], [\"linear\", 64, 10, false]]";

    private static SafetensorsFile golden;

    @BeforeAll
    static void open() throws Exception {
        URL url = TorchGeneratorTest.class.getResource("/golden/random.safetensors");
        assertNotNull(url, "golden/random.safetensors is missing: run /usr/bin/python3"
                + " runtime/src/test/python/make_random_golden.py");
        golden = SafetensorsFile.open(Path.of(url.toURI()));
    }

    @Test
    void uniformIsTorchsUniformBitForBit() {
        TorchGenerator random = new TorchGenerator(7);
        float[] ours = new float[1000];
        for (int i = 0; i < ours.length; i++) {
            ours[i] = random.uniform(-0.3, 0.7);
        }
        assertArrayEquals(golden.floats("uniform.seed7"), ours);
    }

    @Test
    void defaultInitializationOfConvLinearAndEmbeddingFollowsTorchsStream() {
        assertEquals(LAYERS, golden.metadata().get("layers"));
        TorchGenerator random = new TorchGenerator(3);
        try (Arena arena = Arena.ofConfined()) {
            // conv 3→8, 3×3, with bias
            assertBitEqual("layers.0.weight", conv(arena, random, 8, 3, 3, true), "layers.0.bias");
            // linear 17→5 with bias
            MemorySegment w = arena.allocate(5 * 17 * 4L), b = arena.allocate(5 * 4L);
            Init.dense(random, w, 0, 5, 17, b, 0);
            assertBitEqual("layers.1.weight", w);
            assertBitEqual("layers.1.bias", b);
            // embedding 11×7: 77 normals, the last 16 drawn again
            assertClose("layers.2.weight", normals(random, 77));
            // conv 2→4, 1×1, no bias
            assertBitEqual("layers.3.weight", conv(arena, random, 4, 2, 1, false)[0]);
            // embedding 4×4: 16 normals
            assertClose("layers.4.weight", normals(random, 16));
            // linear 64→10 without bias: the stream is still in step after the normals
            MemorySegment w5 = arena.allocate(10 * 64 * 4L);
            Init.dense(random, w5, 0, 10, 64, null, 0);
            assertBitEqual("layers.5.weight", w5);
        }
    }

    @Test
    void permutationIsTorchsRandperm() {
        long[] small = golden.longs("randperm.small");
        TorchGenerator random = new TorchGenerator(1);
        int[] order = new int[10];
        for (int epoch = 0; epoch < 3; epoch++) {
            random.permutation(order);
            assertArrayEquals(Arrays.copyOfRange(small, epoch * 10, epoch * 10 + 10), widen(order), "epoch " + epoch);
        }
    }

    @Test
    void shuffledEpochOrdersAreTorchsRandpermsOfTheSeedOneAfterAnother() {
        long[] head = golden.longs("randperm.head"), tail = golden.longs("randperm.tail");
        long[] weighted = golden.longs("randperm.weighted");
        EpochOrder shuffled = EpochOrder.shuffled(1);
        int[] order = new int[60_000];
        // epochs out of order: each is computed alone, as a resumed run needs
        for (int epoch : new int[] {2, 0, 1}) {
            shuffled.fill(epoch, order);
            long[] wide = widen(order);
            assertArrayEquals(Arrays.copyOfRange(head, epoch * 64, epoch * 64 + 64), Arrays.copyOf(wide, 64));
            assertArrayEquals(Arrays.copyOfRange(tail, epoch * 64, epoch * 64 + 64),
                    Arrays.copyOfRange(wide, 60_000 - 64, 60_000));
            long sum = 0;
            for (int i = 0; i < wide.length; i++) {
                sum += i * wide[i];
            }
            assertEquals(weighted[epoch], sum, "epoch " + epoch);
        }
    }

    @Test
    void onlyTheLow32BitsOfTheSeedCountAsInTorch() {
        TorchGenerator a = new TorchGenerator(5), b = new TorchGenerator(5 + (1L << 32));
        for (int i = 0; i < 700; i++) { // past one twist of the 624-word state
            assertEquals(a.nextBits(), b.nextBits());
        }
    }

    private static MemorySegment[] conv(Arena arena, TorchGenerator random, int F, int C, int K, boolean bias) {
        MemorySegment w = arena.allocate((long) F * C * K * K * 4), b = bias ? arena.allocate(F * 4L) : null;
        Init.conv2d(random, w, 0, F, C, K, b, 0);
        return new MemorySegment[] {w, b};
    }

    private static void assertBitEqual(String weightName, MemorySegment[] layer, String biasName) {
        assertBitEqual(weightName, layer[0]);
        assertBitEqual(biasName, layer[1]);
    }

    private static void assertBitEqual(String name, MemorySegment ours) {
        assertArrayEquals(golden.floats(name), ours.toArray(ValueLayout.JAVA_FLOAT), name);
    }

    private static float[] normals(TorchGenerator random, int count) {
        float[] values = new float[count];
        random.normal(values, 0f, 1f);
        return values;
    }

    /** Within 4 units in the last place: PyTorch's vector logarithm, sine and cosine round their own way. */
    private static void assertClose(String name, float[] ours) {
        float[] theirs = golden.floats(name);
        assertEquals(theirs.length, ours.length, name);
        for (int i = 0; i < ours.length; i++) {
            assertEquals(theirs[i], ours[i], 4 * Math.ulp(theirs[i]), name + "[" + i + "]");
        }
    }

    private static long[] widen(int[] order) {
        return Arrays.stream(order).asLongStream().toArray();
    }
}
