package dev.residual.samples.resnet;

import static dev.residual.dsl.Conv.BLOCK;
import static dev.residual.dsl.PoolKind.GLOBAL_AVERAGE;

import dev.residual.dsl.Block;
import dev.residual.dsl.Conv;
import dev.residual.dsl.Dense;
import dev.residual.dsl.Model;
import dev.residual.dsl.Norm;
import dev.residual.dsl.Pool;
import dev.residual.dsl.Relu;
import dev.residual.dsl.Residual;
import dev.residual.runtime.Layer;

/**
 * ResNet-20 (He et al. 2015, §4.2), adapted to 1×28×28 Fashion-MNIST images: a 3×3 stem, three stages of three
 * basic blocks with 16, 32 and 64 filters (the second and third halve the map: 28 → 14 → 7), global average pooling
 * and a 10-way dense layer. Projection shortcuts (1×1 conv + norm) where a stage changes shape.
 */
@Model(input = {1, 28, 28}, batch = 128)
public interface ResNet20 {
    @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu             Layer stem();
    @Residual(block = Basic.class, repeat = 3, filters = 16)             Layer stage1();
    @Residual(block = Basic.class, repeat = 3, filters = 32, stride = 2) Layer stage2();
    @Residual(block = Basic.class, repeat = 3, filters = 64, stride = 2) Layer stage3();
    @Pool(GLOBAL_AVERAGE) Layer pool();
    @Dense(units = 10)    Layer logits();

    /** The basic residual block: two 3×3 convolutions; the stage gives its filters and the first one's stride. */
    @Block interface Basic {
        @Conv(kernel = 3, padding = 1, stride = BLOCK) @Norm @Relu Layer conv1();
        @Conv(kernel = 3, padding = 1) @Norm                      Layer conv2();
    }
}
