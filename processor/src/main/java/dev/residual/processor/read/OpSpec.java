package dev.residual.processor.read;

import dev.residual.processor.diagnostics.Location;
import java.util.List;
import java.util.Map;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;

/**
 * One layer annotation as written: its kind, the annotation mirror (for error positions), and its attribute values
 * with defaults filled in. {@link #isExplicit} tells whether the user wrote an attribute.
 */
public record OpSpec(OpKind kind, ExecutableElement method, AnnotationMirror mirror,
                     Map<String, AnnotationValue> values, Map<String, AnnotationValue> explicit) {

    public int intValue(String name) {
        return ((Number) values.get(name).getValue()).intValue();
    }

    public double doubleValue(String name) {
        return ((Number) values.get(name).getValue()).doubleValue();
    }

    public boolean booleanValue(String name) {
        return (Boolean) values.get(name).getValue();
    }

    /** The constant name of an enum attribute, e.g. {@code "BATCH"}. */
    public String enumValue(String name) {
        return ((VariableElement) values.get(name).getValue()).getSimpleName().toString();
    }

    /** The type element of a class attribute, or null when it does not name a declared type. */
    public TypeElement typeValue(String name) {
        Object value = values.get(name).getValue();
        if (value instanceof TypeMirror type && type.getKind() == TypeKind.DECLARED) {
            return (TypeElement) ((DeclaredType) type).asElement();
        }
        return null;
    }

    public boolean isExplicit(String name) {
        return explicit.containsKey(name);
    }

    /** Points at the annotation. */
    public Location location() {
        return Location.of(method, mirror);
    }

    /** Points at one attribute's value when written, else at the annotation. */
    public Location location(String attribute) {
        return new Location(method, mirror, explicit.get(attribute));
    }

    /** The names of several attributes that the user wrote, in the given order. */
    public List<String> explicitAmong(String... names) {
        return java.util.Arrays.stream(names).filter(explicit::containsKey).toList();
    }
}
