package dev.residual.dsl;

/** How a {@link Residual} block carries its input around the branch. */
public enum Shortcut {
    /** Identity when the branch keeps the shape, projection otherwise. */
    AUTO,
    /** The input itself; the branch must keep its shape. */
    IDENTITY,
    /** A strided 1×1 convolution followed by batch norm. */
    PROJECTION
}
