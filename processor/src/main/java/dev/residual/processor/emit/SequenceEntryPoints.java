package dev.residual.processor.emit;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.residual.processor.graph.Graph;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import javax.lang.model.element.Modifier;

/**
 * The public entry points of a sequence model ({@code @Model(vocabulary = V)}): {@code forward} and
 * {@code trainStep} over {@code n} sequences of {@code T} token ids, with one row of logits and one label per
 * position. Inside, every layer method runs on {@code n·T} columns — a sequence is stored as {@code n·T} feature
 * vectors — so the per-position ops are the vector ops unchanged; only embeddings and attention divide by {@code T}.
 */
final class SequenceEntryPoints {

    private final Graph graph;
    private final Symbols symbols;

    SequenceEntryPoints(Graph graph, Symbols symbols) {
        this.graph = graph;
        this.symbols = symbols;
    }

    void addTo(TypeSpec.Builder type) {
        Shape out = graph.output().shape();
        type.addField(constant("SEQUENCE_LENGTH", graph.input().shape().length(), "Token ids per sequence."));
        type.addField(constant("VOCABULARY", vocabulary(), "Token ids are whole numbers in {@code [0, VOCABULARY)}."));
        type.addField(constant("CLASSES", out.channels(),
                "Logits per position, and the range of the labels (for a language model, the vocabulary)."));
        forward(type);
        train(type);
    }

    private void forward(TypeSpec.Builder type) {
        ModelWriter.forwardMethods(type, CodeBlock.of("$L", FORWARD_JAVADOC), "sequences");
        MethodSpec.Builder run = ModelWriter.runMethod("The forward pass on checked arguments; offsets count floats. "
                + "Every layer method gets\nthe {@code n·T} positions as its columns.\n")
                .addStatement("int positions = n * SEQUENCE_LENGTH")
                .addComment("the ids are one row of positions in either layout: a copy")
                .addStatement("$T.nchwToChannelMajor(input, inputOffset, 1, 1, positions, 1, $L)",
                        Symbols.kernel("Layout"), symbols.tensor(graph.input()));
        for (Graph.Layer layer : graph.layers()) {
            run.addStatement("$N(positions, training)", ModelWriter.forwardName(layer.name()));
        }
        run.beginControlFlow("if (output != null)")
                .addComment("CLASSES×positions logits to a row per position")
                .addStatement("$T.channelMajorToNchw($L, CLASSES, 1, 1, positions, output, outputOffset)",
                        Symbols.kernel("Layout"), symbols.tensor(graph.output()))
                .endControlFlow();
        run.addStatement("lastBatch = n");
        type.addMethod(ModelWriter.endRun(run));
    }

    /** The off-heap {@code forward}'s Javadoc: {@code n} counts sequences of token ids. */
    private static final String FORWARD_JAVADOC =
            "Runs the network on {@code n} sequences. Allocates nothing.\n\n"
            + "@param n      sequences, from 1 to {@link #BATCH}\n"
            + "@param input  {@code n × SEQUENCE_LENGTH} token ids as floats (whole numbers in\n"
            + "              {@code [0, VOCABULARY)}, exact below 2²⁴), sequence by sequence\n"
            + "@param output receives {@code n × SEQUENCE_LENGTH × CLASSES} logits, a row per position\n"
            + "@throws IllegalArgumentException for a token id out of range, naming its position\n";

    /** The array {@code trainStep}'s Javadoc: {@code n} counts sequences, the loss runs over every position. */
    private static final String TRAIN_STEP_JAVADOC =
            "One training step on {@code n} sequences: the forward pass, softmax cross-entropy at\n"
            + "every position against {@code labels} (for a language model, the next token), the\n"
            + "backward pass into the gradient block, and the optimizer's update. Allocates nothing.\n\n"
            + "@param n      sequences, from 1 to {@link #BATCH}\n"
            + "@param input  {@code n × SEQUENCE_LENGTH} token ids as floats\n"
            + "@param labels {@code n × SEQUENCE_LENGTH} classes in {@code [0, CLASSES)}, one per position\n"
            + "@return the mean loss over the {@code n × SEQUENCE_LENGTH} positions, before the update\n"
            + "@throws IllegalArgumentException for an id or a label out of range\n"
            + "@throws ArithmeticException when the loss or a gradient is not finite; the parameters are"
            + " then left as they were\n";

    private void train(TypeSpec.Builder type) {
        ModelWriter.trainMethods(type, graph, symbols, CodeBlock.of("$L", TRAIN_STEP_JAVADOC), "sequences",
                "n * SEQUENCE_LENGTH, CLASSES", CodeBlock.of("CLASSES"), "positions",
                "positions", "int positions = n * SEQUENCE_LENGTH");
    }

    /** The token ids' range: the vocabulary of the {@code @Embedding} that reads them. */
    private int vocabulary() {
        return graph.nodes().stream().map(Node::op).filter(Op.Embedding.class::isInstance)
                .map(Op.Embedding.class::cast).findFirst().orElseThrow().vocabulary();
    }

    private static FieldSpec constant(String name, int value, String doc) {
        return FieldSpec.builder(int.class, name, Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
                .initializer("$L", value).addJavadoc(doc + "\n").build();
    }
}
