package dev.residual.processor.diagnostics;

/**
 * The catalogue of everything Residual reports about a model, one entry per mistake. Codes are stable: tests and
 * users' searches rely on them, so a retired code is never reused. Each entry has a message template (filled with
 * {@link String#format}) and a hint that says how to fix it.
 */
public enum Code {
    // --- the model declaration ---
    MODEL_NOT_INTERFACE("RES001", "@Model must be on an interface, but %s is a %s",
            "declare the network as `public interface %s` with one method per layer"),
    MODEL_GENERIC("RES002", "model %s has type parameters %s",
            "a model has fixed shapes; remove the type parameters"),
    MODEL_NO_LAYERS("RES003", "model %s declares no layers",
            "add abstract methods returning Layer, each with a layer annotation such as @Conv or @Dense"),
    INPUT_RANK("RES004", "input = %s has %d dimensions; a sample is {C, H, W} (an image) or {features} (a vector)",
            "write input = {1, 28, 28} for a 28×28 grey image, or input = {64} for 64 features"),
    INPUT_NOT_POSITIVE("RES005", "input = %s has a dimension that is not positive",
            "every dimension of one sample must be at least 1"),
    BATCH_NOT_POSITIVE("RES006", "batch = %d; the largest batch must be at least 1",
            "set batch to the most samples one call will pass, e.g. batch = 128"),
    CLASS_NAME_INVALID("RES007", "className = \"%s\" is not a Java identifier",
            "use a simple class name such as \"%sNet\", or leave className empty"),
    MODEL_NOT_ACCESSIBLE("RES008", "model %s is private, so the generated class cannot implement it",
            "make the interface public or package-private"),
    MODEL_EXTENDS("RES009", "model %s extends %s; inherited methods cannot be layers",
            "declare every layer in the model interface itself"),
    MODEL_TOO_LARGE("RES010", "model %s needs %s, more than one memory block can hold (%s)",
            "reduce the batch or the layer sizes"),
    PLAIN_TWIN_INVALID("RES011", "plainTwin = \"%s\" is not a Java identifier",
            "use a simple class name such as \"Plain%s\", or leave plainTwin empty"),
    PLAIN_TWIN_CLASH("RES012", "plainTwin = \"%s\" is also the name of %s",
            "give the plain twin its own class name"),
    PLAIN_TWIN_WITHOUT_RESIDUAL("RES013", "plainTwin = \"%s\", but model %s has no @Residual stage to make plain",
            "remove plainTwin: without skip connections the twin would be the same network"),

    // --- layer methods ---
    NOT_A_LAYER("RES020", "method %s has no layer annotation",
            "annotate it with a layer (@Conv, @Norm, @Relu, @Gelu, @Pool, @Dense, @Residual, @Concat, @Upsample, …), or"
                    + " make it a default method"),
    LAYER_HAS_PARAMETERS("RES021", "layer method %s takes parameters",
            "a layer method takes nothing: declare it as `Layer %s()`"),
    LAYER_RETURN_TYPE("RES022", "layer method %s returns %s",
            "a layer method returns dev.residual.runtime.Layer, the view of that layer"),
    LAYER_GENERIC("RES023", "layer method %s has type parameters",
            "remove the type parameters"),
    LAYER_NOT_ABSTRACT("RES024", "layer method %s is %s; layers are abstract methods the generated class implements",
            "remove the body (and `static`/`default`)"),
    LAYER_NAME_RESERVED("RES025", "layer name %s is used by the generated class",
            "rename the method; reserved names: %s"),
    LAYER_NAME_CLASH("RES026", "layer names %s and %s map to the same generated name %s",
            "rename one of them"),

    // --- annotations on one method ---
    UNKNOWN_ANNOTATION("RES030", "@%s is not a Residual layer annotation",
            "remove it: Residual does not know what it means on a layer"),
    TWO_PRIMARY_OPS("RES031", "method %s has both @%s and @%s; one method is one layer",
            "split them into two methods, in the order they should run"),
    PRIMARY_NOT_FIRST("RES032", "@%s is written after @%s on %s, but annotations apply in written order",
            "write @%s first, then the norm and the activation"),
    RESIDUAL_NOT_ALONE("RES033", "@Residual on %s is combined with @%s",
            "put @Residual alone on its method; use its `activation` attribute for the activation after the add"),
    TWO_ACTIVATIONS("RES034", "method %s has two activations, @%s and @%s",
            "keep one"),

    // --- attribute values ---
    NOT_POSITIVE("RES040", "%s = %d on @%s must be at least 1",
            "%s"),
    NEGATIVE_PADDING("RES041", "padding = %d on @%s is negative",
            "use padding = 0 for none"),
    MISSING_FILTERS("RES042", "@Conv on %s has no filters",
            "write filters = N; only a @Block method may leave it to the @Residual that uses the block"),
    BLOCK_VALUE_OUTSIDE_BLOCK("RES043", "%s = Conv.BLOCK on %s, which is not inside a @Block",
            "give a number; Conv.BLOCK only means something inside a block used by @Residual"),
    POOL_SIZE_MISSING("RES044", "@Pool(%s) on %s has no size",
            "write size = 2 (and stride, padding if needed), or use GLOBAL_AVERAGE"),
    POOL_GLOBAL_WITH_SIZE("RES045", "@Pool(GLOBAL_AVERAGE) on %s sets %s, which a global pool ignores",
            "remove %s"),
    POOL_PADDING_TOO_LARGE("RES046", "padding = %d on @Pool(%s) is more than half the window %d",
            "use padding ≤ %d (PyTorch has the same rule)"),
    NORM_EPS("RES047", "eps = %s on @Norm is not a positive number",
            "use a small positive value such as 1e-5"),
    NORM_MOMENTUM("RES048", "momentum = %s on @Norm is outside [0, 1]",
            "PyTorch's convention: 0.1 means the new batch weighs 10%%"),
    NORM_ATTRIBUTE_UNUSED("RES049", "%s = %s on @Norm(kind = %s) applies only to %s",
            "remove %s, or change the kind"),

    // --- shapes ---
    KERNEL_TOO_LARGE("RES060", "%s: the %d×%d window of @%s does not fit the padded input %s (input %s, padding %d)",
            "use a kernel of at most %d, more padding, or place this layer before the input shrinks"),
    NEEDS_IMAGE("RES061", "%s: @%s needs a C×H×W input, but it gets a vector of %d features",
            "move it before the layer that flattens (@Dense or a global pool)"),
    GROUPS_NOT_DIVIDING("RES062", "%s: groups = %d does not divide the %d channels",
            "use a divisor of %d, such as %s"),
    GROUP_NORM_ON_VECTOR("RES063", "%s: @Norm(kind = GROUP) needs channels, but it gets a vector of %d features",
            "use kind = LAYER for vectors"),

    // --- residual blocks ---
    BLOCK_NOT_ANNOTATED("RES070", "%s, used as a block by %s, is not annotated @Block",
            "annotate the interface %s with @Block"),
    BLOCK_NOT_INTERFACE("RES071", "block %s is a %s",
            "a block is an interface annotated @Block"),
    BLOCK_RECURSIVE("RES072", "block %s uses itself through %s",
            "a block cannot contain itself; break the cycle"),
    BLOCK_EMPTY("RES073", "block %s declares no layers",
            "add at least one layer method to the block"),
    IDENTITY_SHAPE_CHANGE("RES074", "%s: shortcut = IDENTITY, but block %s turns %s into %s",
            "use shortcut = PROJECTION (or AUTO), or keep the block's filters and stride"),
    ADD_SHAPE_MISMATCH("RES075", "%s: block %s gives %s, but the shortcut gives %s; they cannot be added",
            "keep the spatial size in the block (padding = kernel / 2) and let the stride be the @Residual's"),
    RESIDUAL_FILTERS_IGNORED("RES076", "%s: filters = %d on @Residual, but block %s outputs %d channels",
            "set the last convolution of the block to filters = Conv.BLOCK"),
    RESIDUAL_STRIDE_IGNORED("RES077", "%s: stride = %d on @Residual, but no convolution of block %s has stride = Conv.BLOCK",
            "write stride = Conv.BLOCK on the block's first convolution"),
    BLOCK_GENERIC("RES078", "block %s has type parameters",
            "remove the type parameters"),

    // --- sequence models ---
    NEEDS_SEQUENCE("RES100", "%s: @%s works across the positions of a sequence, but it gets %s",
            "declare a sequence model, @Model(input = {T}, vocabulary = V), whose first op is @Embedding"),
    TOKENS_NEED_EMBEDDING("RES101", "%s: @%s gets the model's token ids, which only @Embedding can read",
            "start the model with @Embedding(dim = D)"),
    EMBEDDING_WITHOUT_TOKENS("RES102", "%s: @Embedding reads token ids, but %s",
            "write @Embedding on the first layer of a model with @Model(input = {T}, vocabulary = V)"),
    HEADS_NOT_DIVIDING("RES103", "%s: heads = %d does not divide the %d features",
            "use a divisor of %d, such as %s"),
    VOCABULARY_INPUT("RES104", "vocabulary = %d needs input = {T}, the sequence length, but input is %s",
            "write input = {T} with one number: the token ids per sample"),
    NORM_ACROSS_POSITIONS("RES105", "%s: @Norm(kind = %s) would mix the positions of a sequence",
            "use @Norm(kind = LAYER), which normalizes each position over its features"),
    IMAGE_OP_ON_SEQUENCE("RES106", "%s: @%s needs a C×H×W input, but it gets a sequence of %s",
            "a sequence model's layers work per position (@Dense, @Norm(kind = LAYER), activations) or across "
                    + "positions (@Attention, @PositionalEmbedding)"),
    VOCABULARY_TOO_LARGE("RES107", "vocabulary = %d is more than 2²⁴ = 16,777,216, but token ids travel as floats, "
            + "which hold whole numbers exactly only up to 2²⁴",
            "use a vocabulary of at most 16,777,216 tokens"),
    SEQUENCE_BLOCK_CHANGES_FEATURES("RES108", "%s: block %s turns %s into %s, so x + F(x) cannot be added",
            "end the block with a layer of %d features, e.g. @Dense(units = %d)"),
    SEQUENCE_PROJECTION("RES109", "%s: shortcut = PROJECTION is a 1×1 convolution, which a sequence does not have",
            "leave shortcut = AUTO: a sequence block adds its input unchanged, x + F(x)"),

    // --- U-Net: skips, upsampling, the per-pixel loss ---
    SKIP_UNKNOWN("RES110", "%s: @Concat(\"%s\") names no layer of model %s",
            "name an earlier layer method of the model; the layers before this one are: %s"),
    SKIP_NOT_EARLIER("RES111", "%s: @Concat(\"%s\") names %s, but a skip can only carry a feature forward",
            "name a layer declared above %s, such as an encoder stage of the same height and width"),
    CONCAT_SHAPE_MISMATCH("RES112", "%s: @Concat(\"%s\") joins %s with %s, but their heights and widths differ",
            "make both the same size: upsample by the factor the encoder pooled by, and pad each 3×3 convolution by 1"),
    SKIP_IN_BLOCK("RES113", "@Concat on %s is inside block %s, but a skip names a layer of the model",
            "declare the @Concat layer in the model interface itself"),
    TRANSPOSED_OUTPUT_EMPTY("RES114",
            "%s: @ConvTranspose with kernel %d, stride %d and padding %d leaves no pixels of input %s",
            "the output is (H − 1)·stride − 2·padding + kernel; use padding ≤ %d"),
    PIXEL_LOSS_NEEDS_IMAGE("RES115", "loss = PIXEL_CROSS_ENTROPY scores each pixel, but model %s ends in %s",
            "end the model with C×H×W class scores, e.g. a 1×1 @Conv(filters = classes), or use loss = CROSS_ENTROPY"),

    // --- the processor itself ---
    INTERNAL_ERROR("RES090", "Residual failed while compiling %s: %s",
            "this is a bug in Residual; please report it with the model declaration");

    private final String id;
    private final String template;
    private final String hint;

    Code(String id, String template, String hint) {
        this.id = id;
        this.template = template;
        this.hint = hint;
    }

    /** The stable identifier, e.g. {@code RES060}. */
    public String id() {
        return id;
    }

    /** The message template. */
    public String template() {
        return template;
    }

    /** The hint template. */
    public String hint() {
        return hint;
    }
}
