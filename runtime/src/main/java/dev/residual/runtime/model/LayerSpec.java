package dev.residual.runtime.model;

/**
 * One layer method of a compiled model, as the generated class declares it.
 *
 * @param name         the method's name, also the prefix of its parameters' names
 * @param shape        the output shape of one sample ({@code {C, H, W}} or {@code {features}})
 * @param outputOffset where its output lives in the activation block, in floats
 */
public record LayerSpec(String name, int[] shape, long outputOffset) {}
