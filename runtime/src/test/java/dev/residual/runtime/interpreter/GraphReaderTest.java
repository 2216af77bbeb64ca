package dev.residual.runtime.interpreter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.interpreter.ModelGraph.Kind;
import org.junit.jupiter.api.Test;

/** Reading graph resources: a valid one in full, and a clear error naming the line for each kind of damage. */
class GraphReaderTest {

    static final String SMALL = """
            # comment
            residual-graph 1
            model Small SmallNet
            batch 4
            input 0 image:1,4,4
            node conv stem.0 0 1 image:2,4,4 filters=2 kernel=3 stride=1 padding=1 bias=false
            param stem.0.weight 2,1,3,3 trainable kaiming_uniform 9 stem.0
            node batch_norm stem.1 1 2 image:2,4,4 eps=1.0E-5 momentum=0.1
            param stem.1.weight 2 trainable ones 0 stem.1
            param stem.1.bias 2 trainable zeros 0 stem.1
            param stem.1.running_mean 2 buffer zeros 0 stem.1
            param stem.1.running_var 2 buffer ones 0 stem.1
            node add block.add 2,1 3 image:2,4,4
            node relu block.relu 3 4 image:2,4,4
            node global_avg_pool pool 4 5 vector:2
            node dense logits 5 6 vector:3 units=3 bias=true
            param logits.weight 3,2 trainable kaiming_uniform 2 logits
            param logits.bias 3 trainable fan_in_uniform 2 logits
            output 6
            """;

    @Test
    void readsEveryRecord() {
        ModelGraph graph = GraphReader.read(SMALL, "Small.graph");
        assertEquals("Small", graph.model());
        assertEquals("SmallNet", graph.className());
        assertEquals(4, graph.batch());
        assertEquals(16, graph.inputShape().size());
        assertEquals(6, graph.nodes().size());
        assertEquals(Kind.ADD, graph.nodes().get(2).kind());
        assertArrayEquals(new int[] {2, 1}, graph.nodes().get(2).inputs());
        assertEquals(3, graph.outputShape().channels());
        assertEquals(7, graph.params().size());
        assertEquals(3, graph.nodes().get(0).intAttribute("kernel"));
        assertTrue(!graph.params().get(4).trainable());
    }

    private static String error(String text) {
        return assertThrows(MalformedGraphException.class, () -> GraphReader.read(text, "Bad.graph")).getMessage();
    }

    @Test
    void wrongVersionIsNamed() {
        String message = error(SMALL.replace("residual-graph 1", "residual-graph 7"));
        assertTrue(message.contains("Bad.graph:2") && message.contains("version 7"), message);
    }

    @Test
    void missingHeaderIsAnError() {
        assertTrue(error("batch 4\n").contains("residual-graph"));
        assertTrue(error("").contains("empty"));
    }

    @Test
    void valueReadBeforeItIsProduced() {
        String message = error(SMALL.replace("node add block.add 2,1 3", "node add block.add 2,9 3"));
        assertTrue(message.contains(":13:") && message.contains("value 9"), message);
    }

    @Test
    void missingAttribute() {
        String message = error(SMALL.replace(" kernel=3", ""));
        assertTrue(message.contains(":6:") && message.contains("kernel"), message);
    }

    @Test
    void badNumbersAndShapes() {
        assertTrue(error(SMALL.replace("batch 4", "batch four")).contains("integer"));
        assertTrue(error(SMALL.replace("image:2,4,4 filters", "image:2,4 filters")).contains("bad shape"));
        assertTrue(error(SMALL.replace("eps=1.0E-5", "eps=NaN")).contains("finite"));
        assertTrue(error(SMALL.replace("bias=false", "bias=maybe")).contains("true or false"));
        assertTrue(error(SMALL.replace("stride=1", "stride=0")).contains("at least 1"));
    }

    @Test
    void unknownKindAndRecord() {
        assertTrue(error(SMALL.replace("node relu", "node swish")).contains("unknown node kind 'swish'"));
        assertTrue(error(SMALL + "extra 1\n").contains("unknown record 'extra'"));
    }

    @Test
    void parameterCountAndPlacement() {
        String message = error(SMALL.replace("param stem.1.running_var 2 buffer ones 0 stem.1\n", ""));
        assertTrue(message.contains("stem.1") && message.contains("3 parameters, expected 4"), message);
        message = error(SMALL.replace("param logits.bias 3 trainable fan_in_uniform 2 logits",
                "param logits.bias 3 trainable fan_in_uniform 2 stem.0"));
        assertTrue(message.contains("must follow its node"), message);
    }

    @Test
    void shapesAreCheckedAgainstAttributes() {
        String message = error(SMALL.replace("node conv stem.0 0 1 image:2,4,4", "node conv stem.0 0 1 image:2,5,4"));
        assertTrue(message.contains("gives image:2,4,4") && message.contains("image:2,5,4"), message);
        message = error(SMALL.replace("param logits.weight 3,2", "param logits.weight 3,4"));
        assertTrue(message.contains("logits.weight holds 12 floats") && message.contains("needs 6"), message);
        message = error(SMALL.replace("kernel=3 stride=1 padding=1", "kernel=9 stride=1 padding=1"));
        assertTrue(message.contains("does not fit"), message);
    }

    @Test
    void missingOutput() {
        assertTrue(error(SMALL.replace("output 6\n", "")).contains("incomplete"));
        assertTrue(error(SMALL.replace("output 6", "output 42")).contains("no value"));
    }

    @Test
    void missingResourceIsExplained() {
        String message = assertThrows(MalformedGraphException.class, () -> GraphReader.forClass(String.class))
                .getMessage();
        assertTrue(message.contains("String.graph") && message.contains("annotation processor"), message);
    }
}
