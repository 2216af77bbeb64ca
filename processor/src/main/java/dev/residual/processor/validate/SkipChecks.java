package dev.residual.processor.validate;

import dev.residual.processor.diagnostics.Code;
import dev.residual.processor.diagnostics.Reporter;
import dev.residual.processor.read.BlockSpec;
import dev.residual.processor.read.LayerSpec;
import dev.residual.processor.read.ModelSpec;
import dev.residual.processor.read.OpKind;
import dev.residual.processor.read.OpSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The links of U-Net skips: every {@code @Concat} names a layer method of the model declared above it. Shapes are
 * checked later, when the graph knows them ({@code GraphBuilder}); here only the names and their order.
 */
final class SkipChecks {

    private final Reporter reporter;

    SkipChecks(Reporter reporter) {
        this.reporter = reporter;
    }

    void check(ModelSpec spec) {
        List<String> names = spec.layers().stream().map(LayerSpec::name).toList();
        for (int i = 0; i < names.size(); i++) {
            LayerSpec layer = spec.layers().get(i);
            for (OpSpec op : concats(layer)) {
                String target = (String) op.values().get("value").getValue();
                int at = names.indexOf(target);
                if (at < 0) {
                    List<String> earlier = names.subList(0, i);
                    reporter.error(op.location("value"), Code.SKIP_UNKNOWN, layer.name(), target,
                            spec.element().getSimpleName(), earlier.isEmpty() ? "(none)" : String.join(", ", earlier));
                } else if (at >= i) {
                    String what = at == i ? "the layer itself" : target + ", which is declared after it";
                    reporter.error(op.location("value"), Code.SKIP_NOT_EARLIER, layer.name(), target, what,
                            layer.name());
                }
            }
        }
        for (BlockSpec block : spec.blocks().values()) {
            for (LayerSpec layer : block.layers()) {
                for (OpSpec op : concats(layer)) {
                    reporter.error(op.location(), Code.SKIP_IN_BLOCK, layer.name(), block.element().getSimpleName());
                }
            }
        }
    }

    private static List<OpSpec> concats(LayerSpec layer) {
        List<OpSpec> concats = new ArrayList<>();
        for (OpSpec op : layer.ops()) {
            if (op.kind() == OpKind.CONCAT) {
                concats.add(op);
            }
        }
        return concats;
    }
}
