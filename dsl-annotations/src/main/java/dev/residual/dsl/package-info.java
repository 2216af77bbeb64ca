/**
 * Residual's model DSL: annotations on Java interfaces that the annotation processor compiles into a class with the
 * forward and backward passes. Start at {@link dev.residual.dsl.Model}.
 *
 * <p>All annotations are {@code SOURCE}-retained: they exist for the compiler only, and the generated class carries
 * everything at run time.
 */
package dev.residual.dsl;
