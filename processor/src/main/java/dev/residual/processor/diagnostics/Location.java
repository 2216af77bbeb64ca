package dev.residual.processor.diagnostics;

import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;

/**
 * Where a diagnostic points: an element, optionally one of its annotations, optionally one attribute value of it —
 * javac then underlines exactly that value.
 */
public record Location(Element element, AnnotationMirror annotation, AnnotationValue value) {

    public static Location of(Element element) {
        return new Location(element, null, null);
    }

    public static Location of(Element element, AnnotationMirror annotation) {
        return new Location(element, annotation, null);
    }
}
