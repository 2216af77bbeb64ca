/**
 * Optimizers, learning-rate schedules and gradient utilities for the training step a generated model runs.
 *
 * <h2>How a training step uses them</h2>
 * A model keeps all its parameters in one flat block of {@code P} floats, their gradients in a second block of the
 * same layout and the optimizer's state in a third of {@link Optimizer#stateSlots() k}·{@code P} floats (zeros before
 * the first step). After the backward pass, once per step:
 * <pre>{@code
 * double lr = schedule.at(step - 1);                     // step: 1 for the first update
 * if (!GradientClipping.allFinite(grads, P)) { ... report, skip the update ... }
 * GradientClipping.clipByGlobalNorm(grads, P, maxNorm);   // optional
 * optimizer.step(params, grads, state, P, step, lr);
 * }</pre>
 * Padding floats between parameters are zero in both blocks; every optimizer keeps them (and their state) zero.
 *
 * <h2>Fidelity to PyTorch</h2>
 * {@link Sgd} and {@link AdamW} reproduce torch 1.13's single-tensor implementations operation by operation, in float
 * as PyTorch computes float32 parameters: hyper-parameters are rounded to float where PyTorch converts its Python
 * scalars, the scalar arithmetic PyTorch does in Python (bias corrections, step size) is done in double, and the
 * multiply-adds that PyTorch's AVX2 kernels fuse ({@code add(alpha=)}, {@code addcmul}) are fused here with
 * {@link Math#fma(float, float, float)}, so the results match PyTorch on an AVX2 machine bit for bit. (The JIT compiles
 * {@code Math.fma} to one instruction on every x86-64 processor since 2013; on a processor without FMA it is very
 * slow.) The golden tests under {@code src/test/python} check this.
 *
 * <p>As everywhere in the runtime, tensors are {@code (MemorySegment, long offset)} pairs with offsets counted in
 * floats, and no method allocates per call.
 */
package dev.residual.runtime.optim;
