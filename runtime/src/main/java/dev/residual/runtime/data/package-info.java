/**
 * Training data: IDX files (MNIST, Fashion-MNIST) read and checked in full ({@link dev.residual.runtime.data.Idx}),
 * a normalized in-memory data set ({@link dev.residual.runtime.data.Dataset}) and reproducible, allocation-free
 * batches over it ({@link dev.residual.runtime.data.Batches}).
 *
 * <p>Every problem with a file is an {@link java.io.IOException} whose message names the file, the numbers found and
 * expected, and what to do.
 */
package dev.residual.runtime.data;
