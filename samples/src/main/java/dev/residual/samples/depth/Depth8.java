package dev.residual.samples.depth;

import static dev.residual.dsl.PoolKind.GLOBAL_AVERAGE;

import dev.residual.dsl.Conv;
import dev.residual.dsl.Dense;
import dev.residual.dsl.Model;
import dev.residual.dsl.Norm;
import dev.residual.dsl.Pool;
import dev.residual.dsl.Relu;
import dev.residual.dsl.Residual;
import dev.residual.runtime.Layer;

/** The 8-layer net of He et al.'s CIFAR family (6n + 2 layers, n = 1), compiled as ResNet8Net and Plain8Net. */
@Model(input = {1, 28, 28}, batch = DepthExperiment.MAX_BATCH, className = "ResNet8Net", plainTwin = "Plain8Net")
public interface Depth8 {
    @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu                  Layer stem();
    @Residual(block = BasicBlock.class, repeat = 1, filters = 16)             Layer stage1();
    @Residual(block = BasicBlock.class, repeat = 1, filters = 32, stride = 2) Layer stage2();
    @Residual(block = BasicBlock.class, repeat = 1, filters = 64, stride = 2) Layer stage3();
    @Pool(GLOBAL_AVERAGE)                                                     Layer pool();
    @Dense(units = 10)                                                        Layer logits();
}
