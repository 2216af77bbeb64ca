package dev.residual.processor.read;

import java.util.List;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.ExecutableElement;

/**
 * One layer method: its name, the layer annotations on it in written order, and any other annotations found there
 * (which validation rejects unless they come from the JDK).
 */
public record LayerSpec(ExecutableElement method, String name, List<OpSpec> ops, List<AnnotationMirror> others) {

    /** The primary op (conv, dense, pool, residual) if the method has one. */
    public OpSpec primary() {
        return ops.stream().filter(op -> op.kind().primary()).findFirst().orElse(null);
    }
}
