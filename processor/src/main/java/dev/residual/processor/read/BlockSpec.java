package dev.residual.processor.read;

import java.util.List;
import javax.lang.model.element.TypeElement;

/** A {@code @Block} interface: a reusable sequence of layers. */
public record BlockSpec(TypeElement element, boolean annotated, List<LayerSpec> layers) {}
