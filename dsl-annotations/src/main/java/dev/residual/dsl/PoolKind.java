package dev.residual.dsl;

/** What {@link Pool} computes over a window. */
public enum PoolKind {
    MAX,
    AVERAGE,
    GLOBAL_AVERAGE
}
