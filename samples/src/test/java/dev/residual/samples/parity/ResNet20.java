package dev.residual.samples.parity;

import static dev.residual.dsl.PoolKind.GLOBAL_AVERAGE;

import dev.residual.dsl.Conv;
import dev.residual.dsl.Dense;
import dev.residual.dsl.Model;
import dev.residual.dsl.Norm;
import dev.residual.dsl.Pool;
import dev.residual.dsl.Relu;
import dev.residual.dsl.Residual;
import dev.residual.runtime.Layer;

/** ResNet-20 (He et al. 2015, §4.2) on 1×28×28 inputs, as the README declares it. */
@Model(input = {1, 28, 28}, batch = 8)
public interface ResNet20 {
    @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu Layer stem();

    @Residual(block = Basic.class, repeat = 3, filters = 16) Layer stage1();

    @Residual(block = Basic.class, repeat = 3, filters = 32, stride = 2) Layer stage2();

    @Residual(block = Basic.class, repeat = 3, filters = 64, stride = 2) Layer stage3();

    @Pool(GLOBAL_AVERAGE) Layer pool();

    @Dense(units = 10) Layer logits();
}
