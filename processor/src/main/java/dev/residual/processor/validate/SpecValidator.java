package dev.residual.processor.validate;

import dev.residual.processor.diagnostics.Code;
import dev.residual.processor.diagnostics.Location;
import dev.residual.processor.diagnostics.Reporter;
import dev.residual.processor.names.Names;
import dev.residual.processor.read.BlockSpec;
import dev.residual.processor.read.LayerSpec;
import dev.residual.processor.read.ModelSpec;
import dev.residual.processor.read.OpKind;
import dev.residual.processor.read.OpSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;

/**
 * Step 2 of the pipeline: checks a {@link ModelSpec} for every mistake that needs no shapes — the declaration, the
 * layer methods, the annotations on each and their values, the blocks. Shape mistakes are found while the graph is
 * built ({@code graph.GraphBuilder}). Reports through the catalogue; never throws.
 */
public final class SpecValidator {

    /** The type a layer method returns. */
    public static final String LAYER_TYPE = "dev.residual.runtime.Layer";

    private final Reporter reporter;

    public SpecValidator(Reporter reporter) {
        this.reporter = reporter;
    }

    /** Whether the element can be read as a model at all; reports why not. */
    public boolean isInterface(TypeElement model) {
        if (model.getKind() != ElementKind.INTERFACE) {
            reporter.error(Location.of(model), Code.MODEL_NOT_INTERFACE, model.getSimpleName(),
                    model.getKind().toString().toLowerCase().replace('_', ' '), model.getSimpleName());
            return false;
        }
        return true;
    }

    /** Checks everything; returns whether no error was found. */
    public boolean validate(ModelSpec spec) {
        int before = reporter.errorCount();
        TypeElement model = spec.element();
        String name = model.getSimpleName().toString();
        if (!model.getTypeParameters().isEmpty()) {
            reporter.error(Location.of(model), Code.MODEL_GENERIC, name, model.getTypeParameters());
        }
        for (Element e = model; e instanceof TypeElement; e = e.getEnclosingElement()) {
            if (e.getModifiers().contains(Modifier.PRIVATE)) {
                reporter.error(Location.of(model), Code.MODEL_NOT_ACCESSIBLE, e.getSimpleName());
                break;
            }
        }
        if (!model.getInterfaces().isEmpty()) {
            reporter.error(Location.of(model), Code.MODEL_EXTENDS, name, model.getInterfaces());
        }
        checkInput(spec);
        if (spec.batch() < 1) {
            reporter.error(modelValue(spec, "batch"), Code.BATCH_NOT_POSITIVE, spec.batch());
        }
        String className = spec.className();
        if (!className.isEmpty() && (!SourceVersion.isIdentifier(className) || SourceVersion.isKeyword(className))) {
            reporter.error(modelValue(spec, "className"), Code.CLASS_NAME_INVALID, className, name);
        }
        checkPlainTwin(spec);
        if (spec.layers().isEmpty()) {
            reporter.error(Location.of(model), Code.MODEL_NO_LAYERS, name);
        }
        checkLayers(spec.layers(), false);
        for (BlockSpec block : spec.blocks().values()) {
            checkBlock(block);
        }
        checkBlockReferences(spec);
        new SkipChecks(reporter).check(spec);
        return reporter.errorCount() == before;
    }

    private void checkInput(ModelSpec spec) {
        List<Integer> input = spec.input();
        if (input.size() != 1 && input.size() != 3) {
            reporter.error(modelValue(spec, "input"), Code.INPUT_RANK, input, input.size());
        } else if (input.stream().anyMatch(d -> d < 1)) {
            reporter.error(modelValue(spec, "input"), Code.INPUT_NOT_POSITIVE, input);
        }
        int vocabulary = spec.vocabulary();
        if (vocabulary < 0) {
            reporter.error(modelValue(spec, "vocabulary"), Code.NOT_POSITIVE, "vocabulary", vocabulary, "Model",
                    "the number of distinct token ids, e.g. vocabulary = 65; leave it out for a model without tokens");
        } else if (vocabulary > 0 && input.size() != 1) {
            reporter.error(modelValue(spec, "vocabulary"), Code.VOCABULARY_INPUT, vocabulary, input);
        } else if (vocabulary > 1 << 24) {
            reporter.error(modelValue(spec, "vocabulary"), Code.VOCABULARY_TOO_LARGE, vocabulary);
        }
    }

    /** The plain twin's name is a free identifier, and the model has skip connections for it to drop. */
    private void checkPlainTwin(ModelSpec spec) {
        String twin = spec.plainTwin();
        if (twin.isEmpty()) {
            return;
        }
        String name = spec.element().getSimpleName().toString();
        String generated = spec.className().isEmpty() ? nestedName(spec.element()) + "Net" : spec.className();
        if (!SourceVersion.isIdentifier(twin) || SourceVersion.isKeyword(twin)) {
            reporter.error(modelValue(spec, "plainTwin"), Code.PLAIN_TWIN_INVALID, twin, name);
        } else if (twin.equals(generated) || twin.equals(name)) {
            reporter.error(modelValue(spec, "plainTwin"), Code.PLAIN_TWIN_CLASH, twin,
                    twin.equals(name) ? "the model interface" : "the generated class");
        } else if (allLayers(spec).stream().flatMap(layer -> layer.ops().stream())
                .noneMatch(op -> op.kind() == OpKind.RESIDUAL)) {
            reporter.error(modelValue(spec, "plainTwin"), Code.PLAIN_TWIN_WITHOUT_RESIDUAL, twin, name);
        }
    }

    /** {@code Outer_Inner} for a nested interface, as the generated class is named. */
    private static String nestedName(TypeElement type) {
        String name = type.getSimpleName().toString();
        for (Element e = type.getEnclosingElement(); e instanceof TypeElement outer; e = e.getEnclosingElement()) {
            name = outer.getSimpleName() + "_" + name;
        }
        return name;
    }

    private Location modelValue(ModelSpec spec, String attribute) {
        AnnotationValue value = null;
        for (var entry : spec.mirror().getElementValues().entrySet()) {
            if (entry.getKey().getSimpleName().contentEquals(attribute)) {
                value = entry.getValue();
            }
        }
        return new Location(spec.element(), spec.mirror(), value);
    }

    private void checkBlock(BlockSpec block) {
        TypeElement type = block.element();
        if (type.getKind() != ElementKind.INTERFACE) {
            return; // reported where the block is used, by checkBlockReferences
        }
        if (!type.getTypeParameters().isEmpty()) {
            reporter.error(Location.of(type), Code.BLOCK_GENERIC, type.getSimpleName());
        }
        if (block.layers().isEmpty()) {
            reporter.error(Location.of(type), Code.BLOCK_EMPTY, type.getSimpleName());
        }
        checkLayers(block.layers(), true);
    }

    /** Each @Residual names an interface annotated @Block, and no block reaches itself. */
    private void checkBlockReferences(ModelSpec spec) {
        for (LayerSpec layer : allLayers(spec)) {
            for (OpSpec op : layer.ops()) {
                BlockSpec block = op.kind() == OpKind.RESIDUAL ? spec.block(op) : null;
                if (block == null) {
                    continue;
                }
                TypeElement type = block.element();
                if (type.getKind() != ElementKind.INTERFACE) {
                    reporter.error(op.location("block"), Code.BLOCK_NOT_INTERFACE, type.getSimpleName(),
                            type.getKind().toString().toLowerCase().replace('_', ' '));
                } else if (!block.annotated()) {
                    reporter.error(op.location("block"), Code.BLOCK_NOT_ANNOTATED, type.getSimpleName(),
                            layer.name(), type.getSimpleName());
                }
            }
        }
        Map<String, Integer> state = new HashMap<>();
        for (BlockSpec block : spec.blocks().values()) {
            findCycle(spec, block, state);
        }
    }

    /** Depth-first search; state 1 = on the current path, 2 = done. Reports the op that closes a cycle. */
    private void findCycle(ModelSpec spec, BlockSpec block, Map<String, Integer> state) {
        String key = block.element().getQualifiedName().toString();
        if (state.containsKey(key)) {
            return;
        }
        state.put(key, 1);
        for (LayerSpec layer : block.layers()) {
            for (OpSpec op : layer.ops()) {
                BlockSpec inner = op.kind() == OpKind.RESIDUAL ? spec.block(op) : null;
                if (inner == null) {
                    continue;
                }
                String innerKey = inner.element().getQualifiedName().toString();
                if (state.getOrDefault(innerKey, 0) == 1) {
                    reporter.error(op.location("block"), Code.BLOCK_RECURSIVE, inner.element().getSimpleName(),
                            block.element().getSimpleName() + "." + layer.name());
                } else {
                    findCycle(spec, inner, state);
                }
            }
        }
        state.put(key, 2);
    }

    private static List<LayerSpec> allLayers(ModelSpec spec) {
        List<LayerSpec> all = new java.util.ArrayList<>(spec.layers());
        spec.blocks().values().forEach(block -> all.addAll(block.layers()));
        return all;
    }

    private void checkLayers(List<LayerSpec> layers, boolean inBlock) {
        Map<String, String> generatedNames = new HashMap<>();
        for (LayerSpec layer : layers) {
            new LayerChecks(reporter, layer, inBlock).check();
            if (Names.RESERVED.contains(layer.name())) {
                reporter.error(Location.of(layer.method()), Code.LAYER_NAME_RESERVED, layer.name(),
                        String.join(", ", Names.RESERVED.stream().sorted().toList()));
            }
            String generated = Names.constant(layer.name());
            String previous = generatedNames.putIfAbsent(generated, layer.name());
            if (previous != null) {
                reporter.error(Location.of(layer.method()), Code.LAYER_NAME_CLASH, previous, layer.name(), generated);
            }
        }
    }

    /** Whether an annotation other than a layer annotation may stay on a layer method. */
    static boolean isHarmless(AnnotationMirror annotation) {
        String name = ((TypeElement) annotation.getAnnotationType().asElement()).getQualifiedName().toString();
        return name.startsWith("java.") || name.startsWith("javax.") || name.startsWith("jdk.");
    }
}
