package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The packed weights of recent layers, each kept with a copy of the weights it was packed from and reused only
 * while they are equal: so a layer's weights are packed once for inference, and again after each update. Packing
 * reorders every weight, which took longer than the comparison: for 64 × 64 3×3 filters some 40 µs against 5. The
 * comparison itself is skipped when the caller passes the weights' version (a compiled model's
 * {@code weightsVersion}) and it is the one the packing was made or last confirmed at ({@link #current}).
 *
 * <p>One per calling thread, never emptied: at most {@link #SLOTS} layers of at most {@link DirectConv2d#MAX_PACKED}
 * weights each, each held twice (ResNet-20's layers take about 2 MB).
 */
final class PackedWeights {

    /** How a kernel wants its {@code F×C×T} weights ({@code T} taps per filter and channel) laid out. */
    enum Layout {
        /** {@link DirectSmallBatch}'s {@code [group of 16 filters][tap][channel][16]}. */
        SMALL_BATCH {
            @Override
            int floats(int F, int C, int T) {
                return F * C * T;
            }

            @Override
            void pack(float[] raw, int F, int C, int T, float[] packed) {
                int group = DirectSmallBatch.GROUP;
                for (int f = 0; f < F; f++) {
                    int g = f / group, lane = f % group;
                    for (int c = 0; c < C; c++) {
                        for (int t = 0; t < T; t++) {
                            packed[((g * T + t) * C + c) * group + lane] = raw[(f * C + c) * T + t];
                        }
                    }
                }
            }
        },
        /** {@link Direct3x3}'s {@code [pair of filters][tap][channel][2]}, a zero filter after an odd count's last. */
        DIRECT {
            @Override
            int floats(int F, int C, int T) {
                return (F + 1) / 2 * 2 * C * T;
            }

            @Override
            void pack(float[] raw, int F, int C, int T, float[] packed) {
                for (int f = 0; f < F; f++) {
                    int base = f / 2 * T * C * 2 + f % 2;
                    for (int c = 0; c < C; c++) {
                        for (int t = 0; t < T; t++) {
                            packed[base + (t * C + c) * 2] = raw[(f * C + c) * T + t];
                        }
                    }
                }
                zeroLastFilter(F, C, T, packed);
            }
        },
        /**
         * {@link #DIRECT}'s layout of the {@code C×F×3×3} weights of the convolution whose input gradient this is:
         * filter {@code f}, channel {@code c}, tap {@code t} here is their {@code [c][f][8 − t]}.
         */
        DIRECT_TRANSPOSED {
            @Override
            int floats(int F, int C, int T) {
                return DIRECT.floats(F, C, T);
            }

            @Override
            void pack(float[] raw, int F, int C, int T, float[] packed) {
                for (int c = 0; c < C; c++) {
                    for (int f = 0; f < F; f++) {
                        int from = (c * F + f) * T + T - 1, base = f / 2 * T * C * 2 + f % 2 + c * 2;
                        for (int t = 0; t < T; t++) {
                            packed[base + t * C * 2] = raw[from - t];
                        }
                    }
                }
                zeroLastFilter(F, C, T, packed);
            }
        };

        /** Floats of the packed weights. */
        abstract int floats(int F, int C, int T);

        /** Packs the {@code F×C×T} weights {@code raw} (for {@link #DIRECT_TRANSPOSED}, {@code C×F×T}). */
        abstract void pack(float[] raw, int F, int C, int T, float[] packed);

        /** An odd count's missing filter of the last pair, as zeros. */
        private static void zeroLastFilter(int F, int C, int T, float[] packed) {
            if (F % 2 == 1) {
                int base = F / 2 * T * C * 2 + 1;
                for (int i = 0; i < T * C; i++) {
                    packed[base + 2 * i] = 0f;
                }
            }
        }
    }

    /** How many layers' weights are kept; a model with more packs some again on every pass. */
    private static final int SLOTS = 64;
    private final long[] keys = new long[SLOTS];
    /** Per slot: F, C, T and the layout's ordinal. */
    private final int[] shapes = new int[4 * SLOTS];
    private final MemorySegment[] copies = new MemorySegment[SLOTS];
    /** Per slot: the weights' version when they were packed or last compared equal, or −1 (see {@link #packed}). */
    private final long[] versions = new long[SLOTS];
    private final float[][] packed = new float[SLOTS][];
    private float[] raw = new float[0];
    private int next;

    /** The slot kept for the {@code F×C×T} weights at {@code weight + wOff} in {@code layout}, or −1. */
    int slotOf(MemorySegment weight, long wOff, int F, int C, int T, Layout layout) {
        long key = weight.address() + wOff * Float.BYTES;
        for (int s = 0; s < SLOTS; s++) {
            if (copies[s] != null && keys[s] == key && shapes[4 * s] == F && shapes[4 * s + 1] == C
                    && shapes[4 * s + 2] == T && shapes[4 * s + 3] == layout.ordinal()) {
                return s;
            }
        }
        return -1;
    }

    /** Whether floats {@code [from, to)} of the weights at {@code weight + wOff} equal the copy kept in {@code slot}. */
    boolean unchanged(int slot, MemorySegment weight, long wOff, long from, long to) {
        long start = (wOff + from) * Float.BYTES, end = (wOff + to) * Float.BYTES;
        return MemorySegment.mismatch(copies[slot], from * Float.BYTES, to * Float.BYTES, weight, start, end) < 0;
    }

    /** The packing kept in {@code slot}. */
    float[] packedOf(int slot) {
        return packed[slot];
    }

    /**
     * Whether the weights in {@code slot} are known unchanged without comparing them: their owner's {@code version}
     * (a compiled model's {@code weightsVersion}, which changes with every change it makes to its weights and is −1
     * when it cannot know) is the one they were packed at.
     */
    boolean current(int slot, long version) {
        return version >= 0 && versions[slot] == version;
    }

    /**
     * Records that the weights in {@code slot} were found equal to its copy at {@code version}; an unknown version
     * (−1) leaves the one it has, which still describes these weights.
     */
    void confirm(int slot, long version) {
        if (version >= 0) {
            versions[slot] = version;
        }
    }

    /**
     * Packs (or reuses) the {@code F×C×T} weights at {@code weight + wOff} in {@code layout}: reused without comparing
     * them when they are {@link #current} at {@code version}, else when they compare equal to the copy.
     */
    float[] packed(MemorySegment weight, long wOff, int F, int C, int T, Layout layout, long version) {
        int floats = F * C * T;
        long from = wOff * Float.BYTES, bytes = (long) floats * Float.BYTES;
        int slot = slotOf(weight, wOff, F, C, T, layout);
        if (slot >= 0) {
            if (current(slot, version)) {
                return packed[slot];
            }
            if (unchanged(slot, weight, wOff, 0, floats)) {
                confirm(slot, version);
                return packed[slot];
            }
            // the same layer, updated: pack again in its place
        } else {
            slot = next;
            next = (next + 1) % SLOTS;
            keys[slot] = weight.address() + from;
            shapes[4 * slot] = F;
            shapes[4 * slot + 1] = C;
            shapes[4 * slot + 2] = T;
            shapes[4 * slot + 3] = layout.ordinal();
        }
        if (copies[slot] == null || copies[slot].byteSize() < bytes) {
            copies[slot] = Arena.ofAuto().allocate(bytes, 64);
        }
        MemorySegment.copy(weight, from, copies[slot], 0, bytes);
        raw = Direct3x3.grown(raw, floats);
        MemorySegment.copy(weight, JAVA_FLOAT, from, raw, 0, floats);
        float[] p = packed[slot] = Direct3x3.grown(packed[slot] == null ? new float[0] : packed[slot],
                layout.floats(F, C, T));
        layout.pack(raw, F, C, T, p);
        versions[slot] = version;
        return p;
    }
}
