package dev.residual.samples.depth;

import dev.residual.dsl.Block;
import dev.residual.dsl.Dense;
import dev.residual.dsl.Model;
import dev.residual.dsl.Norm;
import dev.residual.dsl.Relu;
import dev.residual.dsl.Residual;
import dev.residual.runtime.Layer;

/**
 * A thin residual MLP of 1,000 weight layers (1 + 2 × 499 + 1): enough depth to show that a residual network that
 * deep trains at all, narrow (32 units) so one step takes well under a second. Each block is He et al.'s basic block
 * with dense layers in place of convolutions; batch norm keeps the sum of 499 branches from growing without bound.
 */
@Model(input = {1, 28, 28}, batch = DepthExperiment.MAX_BATCH, className = "ResNet1000Net")
public interface Depth1000 {
    @Dense(units = Depth1000.WIDTH) @Norm @Relu          Layer embed();
    @Residual(block = Depth1000.Pair.class, repeat = 499) Layer body();
    @Dense(units = 10)                                    Layer logits();

    /** Units of every hidden layer. */
    int WIDTH = 32;

    @Block
    interface Pair {
        @Dense(units = WIDTH) @Norm @Relu Layer fc1();
        @Dense(units = WIDTH) @Norm       Layer fc2();
    }
}
