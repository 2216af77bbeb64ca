package dev.residual.dsl;

/** An activation named in an attribute, such as the one {@link Residual#activation()} applies after the add. */
public enum Activation {
    NONE,
    RELU,
    GELU
}
