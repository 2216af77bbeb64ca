package dev.residual.bench;

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
 * ResNet-56 (He et al. 2015, §4.2: 6n + 2 layers with n = 9) on 1×28×28 images, for the benchmarks: ResNet-20's
 * shape with nine basic blocks per stage instead of three.
 */
@Model(input = {1, 28, 28}, batch = 128)
public interface ResNet56 {
    @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu             Layer stem();
    @Residual(block = Basic.class, repeat = 9, filters = 16)             Layer stage1();
    @Residual(block = Basic.class, repeat = 9, filters = 32, stride = 2) Layer stage2();
    @Residual(block = Basic.class, repeat = 9, filters = 64, stride = 2) Layer stage3();
    @Pool(GLOBAL_AVERAGE) Layer pool();
    @Dense(units = 10)    Layer logits();

    /** The basic residual block, as in ResNet-20. */
    @Block interface Basic {
        @Conv(kernel = 3, padding = 1, stride = BLOCK) @Norm @Relu Layer conv1();
        @Conv(kernel = 3, padding = 1) @Norm                      Layer conv2();
    }
}
