package dev.residual.runtime.random;

/**
 * PyTorch's CPU random generator, reproduced draw for draw, so that a seed means the same thing here as in PyTorch:
 * {@code new TorchGenerator(s)} is {@code torch.manual_seed(s)} (or {@code torch.Generator().manual_seed(s)}), and
 * {@link #uniform}, {@link #normal} and {@link #permutation} give what {@code tensor.uniform_}, {@code tensor.normal_}
 * and {@code torch.randperm} give from the same state. With it a model built from seed {@code s} starts from the
 * weights PyTorch's default initialization gives a module declared in the same order after
 * {@code torch.manual_seed(s)}, and a shuffle visits the data in the order {@code torch.randperm} draws, so a run here
 * and a run in PyTorch differ in their arithmetic only. {@code TorchGeneratorTest} checks every method against
 * values PyTorch 1.13 wrote.
 *
 * <p>The engine is the 32-bit Mersenne Twister MT19937 (Matsumoto and Nishimura, 1998), seeded as PyTorch seeds it:
 * the low 32 bits of the seed through the reference {@code init_genrand}. Not thread-safe; not for cryptography.
 */
public final class TorchGenerator {

    private static final int N = 624;
    private static final int M = 397;

    private final int[] state = new int[N];
    private int next = N;

    /** The generator {@code torch.manual_seed(seed)} leaves: only the seed's low 32 bits count, as in PyTorch. */
    public TorchGenerator(long seed) {
        state[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            state[i] = 1812433253 * (state[i - 1] ^ (state[i - 1] >>> 30)) + i;
        }
    }

    /** The next 32 random bits ({@code generator->random()} in ATen), as an {@code int}: read it unsigned. */
    public int nextBits() {
        if (next == N) {
            twist();
            next = 0;
        }
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9D2C5680;
        y ^= (y << 15) & 0xEFC60000;
        return y ^ (y >>> 18);
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (state[i] & 0x80000000) | (state[(i + 1) % N] & 0x7FFFFFFF);
            state[i] = state[(i + M) % N] ^ (y >>> 1) ^ ((y & 1) == 0 ? 0 : 0x9908B0DF);
        }
    }

    /**
     * One float of {@code tensor.uniform_(from, to)} on a float32 tensor: 24 random bits scaled into {@code [0, 1)},
     * then {@code x·(to − from) + from} in float with one rounding. PyTorch's kernel is compiled with fused
     * multiply-add on x86 with AVX2 (the build that runs here), and this is that rounding; both bounds are the
     * {@code double}s PyTorch is given, rounded to float first as its kernel does.
     */
    public float uniform(double from, double to) {
        float low = (float) from;
        float high = (float) to;
        float x = (nextBits() & 0xFFFFFF) * 0x1p-24f;
        return Math.fma(x, high - low, low);
    }

    /**
     * Fills {@code values} as {@code tensor.normal_(mean, std)} fills a contiguous float32 tensor of that length: when
     * it has 16 floats or more (PyTorch's vectorized path, the one its {@code nn.Embedding} tables take), every float
     * draws a uniform, then each run of 16 becomes 8 Box-Muller pairs, and a length that is not a multiple of 16 redraws
     * its last 16. PyTorch computes the logarithm, sine and cosine with its own vector library, so a value may differ
     * from PyTorch's in the last place or two; the draws, and so every later draw, are the same. Shorter arrays, which
     * PyTorch draws another way, take the same path over a 16-float window here and do not match PyTorch's values.
     */
    public void normal(float[] values, float mean, float std) {
        int n = values.length;
        if (n < 16) {
            float[] window = new float[16];
            normal(window, mean, std);
            System.arraycopy(window, 0, values, 0, n);
            return;
        }
        for (int i = 0; i < n; i++) {
            values[i] = uniform(0, 1);
        }
        for (int i = 0; i + 16 <= n; i += 16) {
            boxMuller16(values, i, mean, std);
        }
        if (n % 16 != 0) {
            for (int i = n - 16; i < n; i++) {
                values[i] = uniform(0, 1);
            }
            boxMuller16(values, n - 16, mean, std);
        }
    }

    private static void boxMuller16(float[] values, int at, float mean, float std) {
        for (int j = 0; j < 8; j++) {
            float u1 = 1 - values[at + j]; // [0, 1) → (0, 1] for the logarithm
            float u2 = values[at + j + 8];
            float radius = (float) Math.sqrt(-2 * (float) Math.log(u1));
            float theta = (float) (2 * Math.PI) * u2;
            values[at + j] = Math.fma(radius * (float) Math.cos(theta), std, mean);
            values[at + j + 8] = Math.fma(radius * (float) Math.sin(theta), std, mean);
        }
    }

    /**
     * Writes {@code torch.randperm(order.length, generator=…)}'s permutation into {@code order}: start from the
     * identity, then for each {@code i} below {@code n − 1} swap position {@code i} with {@code i + z}, where {@code z}
     * is the next 32 random bits modulo {@code n − i} (PyTorch 1.13's CPU algorithm, slight modulo bias included).
     */
    public void permutation(int[] order) {
        int n = order.length;
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = 0; i < n - 1; i++) {
            int j = i + (int) (Integer.toUnsignedLong(nextBits()) % (n - i));
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
    }
}
