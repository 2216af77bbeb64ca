package dev.residual.samples.parity;

import dev.residual.dsl.Conv;
import dev.residual.dsl.Dense;
import dev.residual.dsl.Gelu;
import dev.residual.dsl.Model;
import dev.residual.dsl.Norm;
import dev.residual.dsl.NormKind;
import dev.residual.dsl.Pool;
import dev.residual.dsl.PoolKind;
import dev.residual.dsl.Relu;
import dev.residual.runtime.Layer;

/** Every other op: conv with bias, GELU, max and average pooling, group and layer norm, dense on a flattened map. */
@Model(input = {3, 11, 11}, batch = 5)
public interface OpsNet {
    @Conv(filters = 6, kernel = 5, padding = 2) @Gelu Layer a();

    @Pool(value = PoolKind.MAX, size = 3, stride = 2, padding = 1) Layer b();

    @Conv(filters = 8, kernel = 1) @Norm(kind = NormKind.GROUP, groups = 2) @Relu Layer c();

    @Pool(value = PoolKind.AVERAGE, size = 2) Layer d();

    @Conv(filters = 4, kernel = 3, padding = 1) @Norm(kind = NormKind.LAYER) Layer e();

    @Dense(units = 7) @Gelu(tanh = true) Layer f();

    @Dense(units = 3) Layer g();
}
