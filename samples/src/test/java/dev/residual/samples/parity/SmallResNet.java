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

/** A small ResNet with an identity and a projection shortcut, stride 2 and an odd 9×9 input. */
@Model(input = {3, 9, 9}, batch = 4)
public interface SmallResNet {
    @Conv(filters = 8, kernel = 3, padding = 1) @Norm @Relu Layer stem();

    @Residual(block = Basic.class, repeat = 1, filters = 8) Layer stage1();

    @Residual(block = Basic.class, repeat = 2, filters = 16, stride = 2) Layer stage2();

    @Pool(GLOBAL_AVERAGE) Layer pool();

    @Dense(units = 5) Layer logits();
}
