/**
 * The kernels generated models call: one class per operation, each with its forward pass and, next to it, its
 * training kernels (backward, and batch norm's training forward), as in llm.c.
 *
 * <h2>Conventions every kernel follows</h2>
 * <ul>
 *   <li><b>Tensors</b> are float32 in {@link java.lang.foreign.MemorySegment}s. Every tensor argument is a
 *       {@code (MemorySegment segment, long offset)} pair, the offset counted in floats, not bytes. Parameters,
 *       activations and scratch may live in different segments.</li>
 *   <li><b>Activation layout</b> is channel-major with the batch folded in: a {@code C×H×W} feature map of {@code n}
 *       samples is {@code C} rows of {@code n·H·W} floats, element {@code (s, c, y, x)} at
 *       {@code c·(n·H·W) + s·(H·W) + y·W + x}. A vector of {@code F} features is {@code F} rows of {@code n},
 *       element {@code (s, f)} at {@code f·n + s} — the same layout with {@code H·W = 1}. The rows of a batch of
 *       {@code n} samples are packed (row stride {@code n·H·W}), so a buffer planned for a larger batch simply has
 *       unused space at its end.</li>
 *   <li><b>Shapes</b>: {@code n}, the actual batch, is a run-time argument; every other shape is an {@code int} the
 *       generator passes as a constant. Kernels whose work depends on the spatial arrangement (convolution, pooling,
 *       layout changes) take {@code H} and {@code W}; kernels that treat each channel row alike (norms, activations,
 *       element-wise epilogues) take {@code hw = H·W}, which is 1 for vectors.</li>
 *   <li><b>Argument order</b>: the input and its shape, {@code n}, then parameters and options, then the output,
 *       then scratch. Optional tensors are passed as {@code null} (their offset is then ignored).</li>
 *   <li><b>No allocation</b> per call: no arrays, objects, lambdas or boxing, so a training step creates no garbage.
 *       Inner loops run over contiguous memory with the branches hoisted out of them. (On JDK 25, C2 does not yet
 *       vectorize float arithmetic on memory segments — the accessors move float bits through int registers — so
 *       these loops run scalar, about 0.6 ns a float; pure copies use {@link java.lang.foreign.MemorySegment#copy},
 *       which is a memmove. Large element-wise passes are bound by memory bandwidth either way.)</li>
 *   <li>Unless a method says otherwise, the output may be the input itself (in place) when the two have the same
 *       layout: every element-wise kernel reads an element before it writes the same position.</li>
 *   <li><b>Gradients</b> have the layout of the tensor they belong to. A backward kernel takes what it needs of
 *       the forward's tensors (its input, its saved statistics, or for ReLU its output), the output's gradient
 *       {@code dOut}, the forward's shapes and options, then the gradients it writes. Nothing is zeroed by the
 *       caller: a kernel writing an <em>input</em> gradient takes {@code boolean accumulate} right after it,
 *       {@code false} to overwrite it and {@code true} to add into it (for a value with several readers, such as a
 *       residual block's input); {@link dev.residual.runtime.ops.Elementwise#accumulate} takes the same choice as
 *       {@code overwrite}, the other way round. <em>Parameter</em> gradients ({@code dWeight}, {@code dBias},
 *       {@code dGamma}, {@code dBeta}) are always overwritten. A gradient passed as {@code null} is not computed
 *       (the model input needs none).</li>
 * </ul>
 */
package dev.residual.runtime.ops;
