package dev.residual.processor;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mistakes new with sequence models, each one javac error with its code on the line marked {@code //!} — checked
 * as {@link InvalidSpecTest} checks the others.
 */
class SequenceSpecTest {

    /** A token model, 8 ids from a vocabulary of 20, batch 4, with the given layers after an embedding of 12. */
    private static String tokens(String layers) {
        return "@Model(input = {8}, vocabulary = 20, batch = 4)\npublic interface M {\n"
                + "  @Embedding(dim = 12) Layer embed();\n" + layers + "\n}\n";
    }

    private static Arguments spec(String name, String code, String message, String body) {
        return Arguments.of(name, code, message, body);
    }

    static Stream<Arguments> specs() {
        return Stream.of(
                spec("causal attention on a vector model", "RES100", "@Attention works across the positions",
                        "@Model(input = {16}, batch = 4)\npublic interface M {\n"
                                + "  @Attention(heads = 2, causal = true) Layer attend(); //!\n}\n"),
                spec("positional embedding on an image", "RES100", "gets 1×8×8",
                        "@Model(input = {1, 8, 8}, batch = 4)\npublic interface M {\n"
                                + "  @PositionalEmbedding Layer positions(); //!\n}\n"),
                spec("token ids into a dense layer", "RES101", "@Dense gets the model's token ids",
                        "@Model(input = {8}, vocabulary = 20, batch = 4)\npublic interface M {\n"
                                + "  @Dense(units = 20) Layer logits(); //!\n}\n"),
                spec("embedding without a vocabulary", "RES102", "the model declares no vocabulary",
                        "@Model(input = {8}, batch = 4)\npublic interface M {\n"
                                + "  @Embedding(dim = 12) Layer embed(); //!\n}\n"),
                spec("embedding twice", "RES102", "it is not the model's first op",
                        tokens("  @Embedding(dim = 12) Layer again(); //!")),
                spec("heads not dividing the features", "RES103", "heads = 5 does not divide the 12 features",
                        tokens("  @Attention(heads = 5) Layer attend(); //!")),
                spec("vocabulary on an image input", "RES104", "needs input = {T}",
                        "@Model(input = {1, 8, 8}, vocabulary = 20, batch = 4) //!\npublic interface M {\n"
                                + "  @Embedding(dim = 12) Layer embed();\n}\n"),
                spec("batch norm across positions", "RES105", "kind = BATCH",
                        tokens("  @Norm Layer norm(); //!")),
                spec("group norm across positions", "RES105", "kind = GROUP",
                        tokens("  @Norm(kind = GROUP, groups = 4) Layer norm(); //!")),
                spec("convolution on a sequence", "RES106", "@Conv needs a C×H×W input, but it gets a sequence of "
                                + "8 positions × 12 features",
                        tokens("  @Conv(filters = 4, kernel = 3) Layer conv(); //!")),
                spec("pooling a sequence", "RES106", "@Pool needs a C×H×W input",
                        tokens("  @Pool(GLOBAL_AVERAGE) Layer pool(); //!")),
                spec("a vocabulary floats cannot count", "RES107", "vocabulary = 16777217 is more than 2²⁴",
                        "@Model(input = {8}, vocabulary = 16777217, batch = 4) //!\npublic interface M {\n"
                                + "  @Embedding(dim = 12) Layer embed();\n}\n"),
                spec("a block that changes the features", "RES108", "block Wide turns 8 positions × 12 features into "
                                + "8 positions × 16 features",
                        tokens("  @Residual(block = Wide.class, activation = Activation.NONE) Layer wide(); //!\n"
                                + "  @Block interface Wide { @Dense(units = 16) Layer up(); }")),
                spec("a projection shortcut on a sequence", "RES109", "shortcut = PROJECTION is a 1×1 convolution",
                        tokens("  @Residual(block = Same.class, shortcut = Shortcut.PROJECTION) Layer same(); //!\n"
                                + "  @Block interface Same { @Dense(units = 12) Layer mix(); }")),
                spec("no heads", "RES040", "heads = 0",
                        tokens("  @Attention(heads = 0) Layer attend(); //!")),
                spec("embedding of no features", "RES040", "dim = 0",
                        "@Model(input = {8}, vocabulary = 20, batch = 4)\npublic interface M {\n"
                                + "  @Embedding(dim = 0) Layer embed(); //!\n}\n"),
                spec("negative vocabulary", "RES040", "vocabulary = -3",
                        "@Model(input = {8}, vocabulary = -3, batch = 4) //!\npublic interface M {\n"
                                + "  @Dense(units = 4) Layer logits();\n}\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void oneClearErrorOnTheRightLine(String name, String code, String fragment, String body) {
        new InvalidSpecTest().oneClearErrorOnTheRightLine(name, code, fragment, body);
    }
}
