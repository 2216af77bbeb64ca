package dev.residual.processor.graph;

/**
 * A tensor in the graph: produced by exactly one node (or the model input), read by any number. {@code name} is the
 * path of the node that produces it, e.g. {@code stage1.0.conv1.1}.
 */
public record Value(int id, String name, Shape shape) {}
