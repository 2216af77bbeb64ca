package dev.residual.processor.read;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.util.Elements;

/**
 * Step 1 of the pipeline: reads a {@code @Model} element into a {@link ModelSpec}. Reading judges nothing; it records
 * what was written, with the elements and annotation mirrors that validation points its errors at.
 */
public final class SpecReader {

    public static final String MODEL = OpKind.PACKAGE + ".Model";
    public static final String BLOCK = OpKind.PACKAGE + ".Block";

    private final Elements elements;

    public SpecReader(Elements elements) {
        this.elements = elements;
    }

    public ModelSpec read(TypeElement model) {
        AnnotationMirror mirror = find(model, MODEL);
        Map<String, AnnotationValue> values = valuesWithDefaults(mirror);
        List<Integer> input = new ArrayList<>();
        for (Object item : (List<?>) values.get("input").getValue()) {
            input.add(((Number) ((AnnotationValue) item).getValue()).intValue());
        }
        int batch = ((Number) values.get("batch").getValue()).intValue();
        String className = (String) values.get("className").getValue();
        String plainTwin = (String) values.get("plainTwin").getValue();
        List<LayerSpec> layers = readLayers(model);
        return new ModelSpec(model, mirror, List.copyOf(input), batch, className, plainTwin, false, layers,
                readBlocks(layers));
    }

    /** Every block reachable from the layers, each read once, keyed by qualified name. */
    private Map<String, BlockSpec> readBlocks(List<LayerSpec> layers) {
        Map<String, BlockSpec> blocks = new LinkedHashMap<>();
        Deque<List<LayerSpec>> pending = new ArrayDeque<>();
        pending.add(layers);
        while (!pending.isEmpty()) {
            for (LayerSpec layer : pending.poll()) {
                for (OpSpec op : layer.ops()) {
                    TypeElement type = op.kind() == OpKind.RESIDUAL ? op.typeValue("block") : null;
                    if (type != null && !blocks.containsKey(type.getQualifiedName().toString())) {
                        BlockSpec block = new BlockSpec(type, find(type, BLOCK) != null, readLayers(type));
                        blocks.put(type.getQualifiedName().toString(), block);
                        pending.add(block.layers());
                    }
                }
            }
        }
        return blocks;
    }

    /** The layer methods of an interface in declaration order: abstract methods, and any method with a layer annotation. */
    private List<LayerSpec> readLayers(TypeElement type) {
        List<LayerSpec> layers = new ArrayList<>();
        for (Element enclosed : type.getEnclosedElements()) {
            if (enclosed.getKind() != ElementKind.METHOD) {
                continue;
            }
            ExecutableElement method = (ExecutableElement) enclosed;
            List<OpSpec> ops = new ArrayList<>();
            List<AnnotationMirror> others = new ArrayList<>();
            for (AnnotationMirror annotation : method.getAnnotationMirrors()) {
                String name = ((TypeElement) annotation.getAnnotationType().asElement()).getQualifiedName().toString();
                OpKind kind = OpKind.of(name);
                if (kind == null) {
                    others.add(annotation);
                } else {
                    ops.add(new OpSpec(kind, method, annotation, valuesWithDefaults(annotation),
                            explicitValues(annotation)));
                }
            }
            if (!ops.isEmpty() || method.getModifiers().contains(Modifier.ABSTRACT)) {
                layers.add(new LayerSpec(method, method.getSimpleName().toString(), List.copyOf(ops),
                        List.copyOf(others)));
            }
        }
        return List.copyOf(layers);
    }

    private Map<String, AnnotationValue> valuesWithDefaults(AnnotationMirror mirror) {
        Map<String, AnnotationValue> values = new LinkedHashMap<>();
        elements.getElementValuesWithDefaults(mirror)
                .forEach((key, value) -> values.put(key.getSimpleName().toString(), value));
        return values;
    }

    private static Map<String, AnnotationValue> explicitValues(AnnotationMirror mirror) {
        Map<String, AnnotationValue> values = new LinkedHashMap<>();
        mirror.getElementValues().forEach((key, value) -> values.put(key.getSimpleName().toString(), value));
        return values;
    }

    /** The annotation of the given qualified name on an element, or null. */
    public static AnnotationMirror find(Element element, String qualifiedName) {
        for (AnnotationMirror annotation : element.getAnnotationMirrors()) {
            TypeElement type = (TypeElement) annotation.getAnnotationType().asElement();
            if (type.getQualifiedName().contentEquals(qualifiedName)) {
                return annotation;
            }
        }
        return null;
    }
}
