package dev.residual.samples.depth;

import dev.residual.dsl.Block;
import dev.residual.dsl.Conv;
import dev.residual.dsl.Norm;
import dev.residual.dsl.Relu;
import dev.residual.runtime.Layer;

/**
 * The two-convolution block of He et al. (2015), §4.2, shared by every depth of the experiment. In the residual nets
 * it is {@code F} of {@code relu(F(x) + x)}; in their plain twins it runs alone, {@code relu(F(x))}, and its first
 * convolution carries the stride and the channel change, as in the paper's plain nets.
 */
@Block
public interface BasicBlock {
    @Conv(kernel = 3, padding = 1, stride = Conv.BLOCK) @Norm @Relu Layer conv1();
    @Conv(kernel = 3, padding = 1) @Norm                      Layer conv2();
}
