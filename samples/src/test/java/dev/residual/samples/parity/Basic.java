package dev.residual.samples.parity;

import dev.residual.dsl.Block;
import dev.residual.dsl.Conv;
import dev.residual.dsl.Norm;
import dev.residual.dsl.Relu;
import dev.residual.runtime.Layer;

/** The basic residual block of He et al.: two 3×3 convolutions; filters and stride come from the stage. */
@Block
public interface Basic {
    @Conv(kernel = 3, padding = 1, stride = Conv.BLOCK) @Norm @Relu Layer conv1();

    @Conv(kernel = 3, padding = 1) @Norm Layer conv2();
}
