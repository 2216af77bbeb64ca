package dev.residual.dsl;

/** Whether a layer adds a learned bias. */
public enum Bias {
    /** A bias unless a normalization directly follows (its shift makes a bias redundant). */
    AUTO,
    /** Always a bias. */
    ON,
    /** Never a bias. */
    OFF
}
