/**
 * Running one call's work on several threads without allocating: {@link dev.residual.runtime.parallel.PartPool},
 * shared by the pure-Java GEMM and the element-wise kernels' {@code Workers}. How many threads a model step uses is
 * one setting, {@code -Dresidual.threads} (see {@code dev.residual.runtime.gemm.Backends}).
 */
package dev.residual.runtime.parallel;
