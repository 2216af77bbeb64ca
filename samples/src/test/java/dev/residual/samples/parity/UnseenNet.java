package dev.residual.samples.parity;

import dev.residual.dsl.Conv;
import dev.residual.dsl.Dense;
import dev.residual.dsl.Model;
import dev.residual.dsl.Norm;
import dev.residual.dsl.Pool;
import dev.residual.dsl.PoolKind;
import dev.residual.dsl.Relu;
import dev.residual.dsl.Residual;
import dev.residual.runtime.Layer;

/** Shapes the other parity models do not have: 13×13 input, 10 filters, a 1×1 squeeze, max pool into a dense. */
@Model(input = {2, 13, 13}, batch = 5)
public interface UnseenNet {
    @Conv(filters = 6, kernel = 3, padding = 1) @Norm @Relu Layer stem();

    @Residual(block = Basic.class, repeat = 2, filters = 10, stride = 2) Layer stage1();

    @Conv(filters = 4, kernel = 1) @Norm @Relu Layer squeeze();

    @Pool(value = PoolKind.MAX, size = 2, stride = 2) Layer down();

    @Dense(units = 6) Layer logits();
}
