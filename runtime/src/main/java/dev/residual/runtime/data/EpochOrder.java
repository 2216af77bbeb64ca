package dev.residual.runtime.data;

import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import java.util.random.RandomGenerator;

/**
 * The order in which {@link Batches} visits a data set in each epoch: a permutation of its sample indices
 * {@code 0 … n-1}, a function of the epoch alone, so that a run resumed at epoch {@code k} sees what an uninterrupted
 * one saw.
 *
 * <p>Three kinds: the data set's own order ({@link #sequential()}), a seeded shuffle ({@link #shuffled(long)}), and
 * orders read from a file ({@link OrderFile}), to train on exactly the batches another program drew.
 */
@FunctionalInterface
public interface EpochOrder {

    /**
     * Writes epoch {@code epoch}'s order into {@code order}: each index from 0 to {@code order.length - 1} once.
     * {@link Batches} checks that it is a permutation.
     */
    void fill(int epoch, int[] order);

    /** The data set's own order, every epoch. */
    static EpochOrder sequential() {
        return (epoch, order) -> identity(order);
    }

    /** A fresh shuffle per epoch from a {@link SplittableRandom} seeded with {@link #epochSeed(long, int)}. */
    static EpochOrder shuffled(long seed) {
        return shuffled(seed, SplittableRandom::new);
    }

    /**
     * A Fisher-Yates shuffle per epoch with the generator {@code generator} makes from
     * {@link #epochSeed(long, int) epochSeed(seed, epoch)}, e.g.
     * {@code RandomGeneratorFactory.of("L64X128MixRandom")::create}. It must be deterministic: the same seed must give
     * the same sequence.
     */
    static EpochOrder shuffled(long seed, LongFunction<? extends RandomGenerator> generator) {
        Objects.requireNonNull(generator, "generator");
        return (epoch, order) -> {
            identity(order);
            RandomGenerator random = generator.apply(epochSeed(seed, epoch));
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
        };
    }

    /**
     * The seed of epoch {@code epoch}'s generator: {@code seed} and {@code epoch} mixed (SplitMix64's finalizer), so
     * neighbouring epochs and seeds give unrelated streams.
     */
    static long epochSeed(long seed, int epoch) {
        return mix(mix(seed) ^ mix(0x9E3779B97F4A7C15L * (epoch + 1L)));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static void identity(int[] order) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
    }
}
