package dev.residual.processor.read;

/** The layer annotations Residual knows, by the annotation's simple name. */
public enum OpKind {
    CONV("Conv", true),
    DENSE("Dense", true),
    POOL("Pool", true),
    RESIDUAL("Residual", true),
    EMBEDDING("Embedding", true),
    ATTENTION("Attention", true),
    CONCAT("Concat", true),
    UPSAMPLE("Upsample", true),
    CONV_TRANSPOSE("ConvTranspose", true),
    POSITIONAL_EMBEDDING("PositionalEmbedding", false),
    NORM("Norm", false),
    RELU("Relu", false),
    GELU("Gelu", false);

    /** The package every layer annotation lives in. */
    public static final String PACKAGE = "dev.residual.dsl";

    private final String annotation;
    private final boolean primary;

    OpKind(String annotation, boolean primary) {
        this.annotation = annotation;
        this.primary = primary;
    }

    /** The annotation's simple name. */
    public String annotation() {
        return annotation;
    }

    /** A primary op transforms the tensor's shape; a method holds at most one, written first. */
    public boolean primary() {
        return primary;
    }

    /** Whether this kind is an activation. */
    public boolean activation() {
        return this == RELU || this == GELU;
    }

    /** The kind for an annotation's qualified name, or null when it is not a layer annotation. */
    public static OpKind of(String qualifiedName) {
        for (OpKind kind : values()) {
            if (qualifiedName.equals(PACKAGE + "." + kind.annotation)) {
                return kind;
            }
        }
        return null;
    }
}
