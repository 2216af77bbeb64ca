package dev.residual.runtime.data;

import dev.residual.runtime.random.TorchGenerator;

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

    /**
     * A fresh shuffle per epoch, as {@code torch.randperm} draws them: epoch {@code e}'s order is the
     * {@code (e+1)}-th permutation drawn from a {@link TorchGenerator} seeded with {@code seed}. So the orders are
     * those of {@code g = torch.Generator().manual_seed(seed)} and one {@code torch.randperm(n, generator=g)} per
     * epoch, and epoch {@code e} is computed alone by drawing the ones before it again (a few milliseconds for 60,000
     * images).
     */
    static EpochOrder shuffled(long seed) {
        return (epoch, order) -> {
            TorchGenerator random = new TorchGenerator(seed);
            for (int e = 0; e <= epoch; e++) {
                random.permutation(order);
            }
        };
    }

    private static void identity(int[] order) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
    }
}
