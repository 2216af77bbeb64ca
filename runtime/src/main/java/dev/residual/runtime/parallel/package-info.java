/**
 * Running one call's work on several threads without allocating: {@link dev.residual.runtime.parallel.PartPool}
 * (worker {@code w} runs part {@code w}), which the pure-Java GEMM uses for its per-part buffers, and
 * {@link dev.residual.runtime.parallel.ClaimingPool} (parts go to whichever thread claims them first, so the caller
 * never waits for a helper that has not started), which OpenBLAS's small products and the element-wise and direct
 * convolution kernels' {@code Workers} use. How many threads a
 * model step uses is one setting, {@code -Dresidual.threads} (see {@code dev.residual.runtime.gemm.Backends}).
 */
package dev.residual.runtime.parallel;
