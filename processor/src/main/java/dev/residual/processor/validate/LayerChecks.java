package dev.residual.processor.validate;

import dev.residual.processor.diagnostics.Code;
import dev.residual.processor.diagnostics.Location;
import dev.residual.processor.diagnostics.Reporter;
import dev.residual.processor.read.LayerSpec;
import dev.residual.processor.read.OpKind;
import dev.residual.processor.read.OpSpec;
import java.util.List;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;

/** The checks of one layer method: its signature, the mix of annotations on it, and each attribute value. */
final class LayerChecks {

    /** {@code Conv.BLOCK}: inherit from the @Residual. */
    static final int BLOCK = -1;
    /** {@code Residual.SAME}: keep the input's channels. */
    static final int SAME = -1;

    private final Reporter reporter;
    private final LayerSpec layer;
    private final boolean inBlock;
    private final ExecutableElement method;

    LayerChecks(Reporter reporter, LayerSpec layer, boolean inBlock) {
        this.reporter = reporter;
        this.layer = layer;
        this.inBlock = inBlock;
        this.method = layer.method();
    }

    void check() {
        checkSignature();
        for (AnnotationMirror other : layer.others()) {
            if (!SpecValidator.isHarmless(other)) {
                reporter.error(Location.of(method, other), Code.UNKNOWN_ANNOTATION,
                        other.getAnnotationType().asElement().getSimpleName());
            }
        }
        List<OpSpec> ops = layer.ops();
        if (ops.isEmpty()) {
            reporter.error(Location.of(method), Code.NOT_A_LAYER, layer.name());
            return;
        }
        checkMix(ops);
        for (OpSpec op : ops) {
            switch (op.kind()) {
                case CONV -> checkConv(op);
                case DENSE -> positive(op, "units");
                case POOL -> checkPool(op);
                case NORM -> checkNorm(op);
                case RESIDUAL -> checkResidual(op);
                case EMBEDDING -> positive(op, "dim");
                case ATTENTION -> positive(op, "heads");
                case UPSAMPLE -> positive(op, "scale");
                case CONV_TRANSPOSE -> checkConvTranspose(op);
                case RELU, GELU, POSITIONAL_EMBEDDING, CONCAT -> { } // a skip's name is checked against the model
            }
        }
    }

    private void checkSignature() {
        if (!method.getParameters().isEmpty()) {
            reporter.error(Location.of(method), Code.LAYER_HAS_PARAMETERS, layer.name(), layer.name());
        }
        if (!method.getTypeParameters().isEmpty()) {
            reporter.error(Location.of(method), Code.LAYER_GENERIC, layer.name());
        }
        boolean returnsLayer = method.getReturnType().getKind() == TypeKind.DECLARED
                && ((javax.lang.model.element.TypeElement) ((DeclaredType) method.getReturnType()).asElement())
                        .getQualifiedName().contentEquals(SpecValidator.LAYER_TYPE);
        if (!returnsLayer) {
            reporter.error(Location.of(method), Code.LAYER_RETURN_TYPE, layer.name(), method.getReturnType());
        }
        if (!method.getModifiers().contains(Modifier.ABSTRACT)) {
            String how = method.getModifiers().contains(Modifier.STATIC) ? "static" : "a default method";
            reporter.error(Location.of(method), Code.LAYER_NOT_ABSTRACT, layer.name(), how);
        }
    }

    /** At most one primary op, written first; @Residual alone; at most one activation. */
    private void checkMix(List<OpSpec> ops) {
        OpSpec primary = null;
        OpSpec activation = null;
        for (int i = 0; i < ops.size(); i++) {
            OpSpec op = ops.get(i);
            if (op.kind().primary()) {
                if (primary != null) {
                    reporter.error(op.location(), Code.TWO_PRIMARY_OPS, layer.name(), primary.kind().annotation(),
                            op.kind().annotation());
                } else if (i > 0) {
                    reporter.error(op.location(), Code.PRIMARY_NOT_FIRST, op.kind().annotation(),
                            ops.get(0).kind().annotation(), layer.name(), op.kind().annotation());
                }
                primary = primary == null ? op : primary;
            }
            if (op.kind().activation()) {
                if (activation != null) {
                    reporter.error(op.location(), Code.TWO_ACTIVATIONS, layer.name(), activation.kind().annotation(),
                            op.kind().annotation());
                }
                activation = activation == null ? op : activation;
            }
        }
        if (primary != null && primary.kind() == OpKind.RESIDUAL && ops.size() > 1) {
            OpSpec other = ops.stream().filter(op -> op != ops.get(0) || op.kind() != OpKind.RESIDUAL)
                    .filter(op -> op.kind() != OpKind.RESIDUAL).findFirst().orElse(ops.get(1));
            reporter.error(other.location(), Code.RESIDUAL_NOT_ALONE, layer.name(), other.kind().annotation());
        }
    }

    private void checkConv(OpSpec op) {
        int filters = op.intValue("filters");
        if (filters == BLOCK) {
            if (!inBlock) {
                reporter.error(op.location(), Code.MISSING_FILTERS, layer.name());
            }
        } else {
            positive(op, "filters");
        }
        positive(op, "kernel");
        if (op.intValue("stride") == BLOCK) {
            if (!inBlock) {
                reporter.error(op.location("stride"), Code.BLOCK_VALUE_OUTSIDE_BLOCK, "stride", layer.name());
            }
        } else {
            positive(op, "stride");
        }
        padding(op);
    }

    private void checkConvTranspose(OpSpec op) {
        positive(op, "filters");
        positive(op, "kernel");
        positive(op, "stride");
        padding(op);
    }

    private void checkPool(OpSpec op) {
        String kind = op.enumValue("value");
        if (kind.equals("GLOBAL_AVERAGE")) {
            List<String> set = op.explicitAmong("size", "stride", "padding");
            if (!set.isEmpty()) {
                String names = String.join(", ", set);
                reporter.error(op.location(set.get(0)), Code.POOL_GLOBAL_WITH_SIZE, layer.name(), names, names);
            }
            return;
        }
        int size = op.intValue("size");
        if (size == 0) {
            reporter.error(op.location(), Code.POOL_SIZE_MISSING, kind, layer.name());
            return;
        }
        positive(op, "size");
        if (op.intValue("stride") < 0) {
            positive(op, "stride");
        }
        if (padding(op) && size > 0 && op.intValue("padding") > size / 2) {
            reporter.error(op.location("padding"), Code.POOL_PADDING_TOO_LARGE, op.intValue("padding"), kind, size,
                    size / 2);
        }
    }

    private void checkNorm(OpSpec op) {
        double eps = op.doubleValue("eps");
        if (!(eps > 0) || Double.isInfinite(eps)) {
            reporter.error(op.location("eps"), Code.NORM_EPS, eps);
        }
        double momentum = op.doubleValue("momentum");
        if (!(momentum >= 0 && momentum <= 1)) {
            reporter.error(op.location("momentum"), Code.NORM_MOMENTUM, momentum);
        }
        String kind = op.enumValue("kind");
        if (op.isExplicit("groups") && !kind.equals("GROUP")) {
            reporter.error(op.location("groups"), Code.NORM_ATTRIBUTE_UNUSED, "groups", op.intValue("groups"), kind,
                    "kind = GROUP", "groups");
        }
        if (op.isExplicit("momentum") && !kind.equals("BATCH")) {
            reporter.error(op.location("momentum"), Code.NORM_ATTRIBUTE_UNUSED, "momentum", momentum, kind,
                    "kind = BATCH (running statistics)", "momentum");
        }
        if (kind.equals("GROUP")) {
            positive(op, "groups");
        }
    }

    private void checkResidual(OpSpec op) {
        positive(op, "repeat");
        if (op.intValue("filters") != SAME) {
            positive(op, "filters");
        }
        positive(op, "stride");
    }

    /** Reports a value below 1; returns whether it is fine. */
    private boolean positive(OpSpec op, String attribute) {
        int value = op.intValue(attribute);
        if (value < 1) {
            reporter.error(op.location(attribute), Code.NOT_POSITIVE, attribute, value, op.kind().annotation(),
                    hintFor(attribute));
            return false;
        }
        return true;
    }

    private boolean padding(OpSpec op) {
        int padding = op.intValue("padding");
        if (padding < 0) {
            reporter.error(op.location("padding"), Code.NEGATIVE_PADDING, padding, op.kind().annotation());
            return false;
        }
        return true;
    }

    private static String hintFor(String attribute) {
        return switch (attribute) {
            case "filters" -> "the number of output channels, e.g. filters = 16";
            case "kernel" -> "the window size, e.g. kernel = 3";
            case "stride", "size" -> "1 or more, e.g. " + attribute + " = 2";
            case "units" -> "the number of outputs, e.g. units = 10";
            case "repeat" -> "how many blocks in sequence, e.g. repeat = 3";
            case "groups" -> "a divisor of the channels, e.g. groups = 8";
            case "dim" -> "the features per token, e.g. dim = 128";
            case "heads" -> "a divisor of the features, e.g. heads = 4";
            case "scale" -> "the upsampling factor, e.g. scale = 2";
            default -> "use a positive value";
        };
    }
}
