/**
 * Loss functions with their gradients, for the end of a generated model's forward pass.
 *
 * <p>They follow the kernels' conventions (see {@link dev.residual.runtime.ops}): float32 tensors as
 * {@code (MemorySegment, long offset)} pairs with offsets in floats, channel-major batches ({@code F} features of
 * {@code n} samples as {@code F} rows of {@code n}, element {@code (s, f)} at {@code f·n + s}), and no allocation per
 * call. Each {@code forward} returns the mean loss of the batch and, when given a gradient tensor, writes the
 * gradient of that mean (already divided by the number of terms) in the input's layout; it may be the input itself.
 * Every argument, labels included, is checked before anything is written.
 */
package dev.residual.runtime.loss;
