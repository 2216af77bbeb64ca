package dev.residual.processor.read;

import java.util.List;
import java.util.Map;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.TypeElement;

/**
 * A {@code @Model} interface as written: its attributes, its layer methods in declaration order, and every block it
 * reaches (by block interface name), read once each. {@code plain} marks the spec of a plain twin (see
 * {@link #plainTwinSpec()}): the graph then builds every residual block without its add and shortcut.
 */
public record ModelSpec(TypeElement element, AnnotationMirror mirror, List<Integer> input, int batch,
                        String className, String plainTwin, boolean plain, List<LayerSpec> layers,
                        Map<String, BlockSpec> blocks) {

    /** The spec of the plain twin: the same layers, compiled under the twin's class name without skip additions. */
    public ModelSpec plainTwinSpec() {
        return new ModelSpec(element, mirror, input, batch, plainTwin, "", true, layers, blocks);
    }

    /**
     * {@code @Model(vocabulary)}: the number of token ids of a sequence model, 0 for other models. Read from the
     * mirror (its default is 0), so the record keeps its components.
     */
    public int vocabulary() {
        for (var entry : mirror.getElementValues().entrySet()) {
            if (entry.getKey().getSimpleName().contentEquals("vocabulary")) {
                return ((Number) entry.getValue().getValue()).intValue();
            }
        }
        return 0;
    }

    /** {@code @Model(loss)}: the constant name of the loss, {@code CROSS_ENTROPY} unless written. */
    public String loss() {
        for (var entry : mirror.getElementValues().entrySet()) {
            if (entry.getKey().getSimpleName().contentEquals("loss")) {
                return entry.getValue().getValue().toString();
            }
        }
        return "CROSS_ENTROPY";
    }

    /** Whether the model trains with the per-pixel loss, {@code Loss.PIXEL_CROSS_ENTROPY}. */
    public boolean pixelLoss() {
        return loss().equals("PIXEL_CROSS_ENTROPY");
    }

    /** The block a residual op names, or null when it names no readable interface. */
    public BlockSpec block(OpSpec residual) {
        TypeElement type = residual.typeValue("block");
        return type == null ? null : blocks.get(type.getQualifiedName().toString());
    }
}
