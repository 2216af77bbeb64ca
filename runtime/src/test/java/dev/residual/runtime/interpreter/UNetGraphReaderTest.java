package dev.residual.runtime.interpreter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.interpreter.ModelGraph.Kind;
import org.junit.jupiter.api.Test;

/** Reading a U-Net's graph: transposed convolution, upsampling, the two-input concat, the loss record, and damage. */
class UNetGraphReaderTest {

    static final String TINY = """
            residual-graph 1
            model Tiny TinyNet
            batch 2
            input 0 image:1,4,4
            node conv enc 0 1 image:3,4,4 filters=3 kernel=3 stride=1 padding=1 bias=true
            param enc.weight 3,1,3,3 trainable kaiming_uniform 9 enc
            param enc.bias 3 trainable fan_in_uniform 9 enc
            node max_pool down 1 2 image:3,2,2 size=2 stride=2 padding=0
            node conv_transpose up 2 3 image:5,4,4 filters=5 kernel=2 stride=2 padding=0 bias=true
            param up.weight 3,5,2,2 trainable kaiming_uniform 20 up
            param up.bias 5 trainable fan_in_uniform 20 up
            node concat cat 3,1 4 image:8,4,4
            node max_pool down2 4 5 image:8,2,2 size=2 stride=2 padding=0
            node upsample up2 5 6 image:8,4,4 scale=2
            output 6
            loss pixel_cross_entropy
            """;

    @Test
    void readsTheUNetOpsAndTheLoss() {
        ModelGraph graph = GraphReader.read(TINY, "Tiny.graph");
        assertEquals(Kind.CONV_TRANSPOSE, graph.nodes().get(2).kind());
        assertEquals(Kind.CONCAT, graph.nodes().get(3).kind());
        assertEquals(1, graph.nodes().get(3).inputs()[1]);
        assertEquals(Kind.UPSAMPLE, graph.nodes().get(5).kind());
        assertTrue(graph.pixelLoss());
        assertFalse(GraphReader.read(TINY.replace("loss pixel_cross_entropy\n", ""), "Tiny.graph").pixelLoss());
    }

    private static String error(String text) {
        return assertThrows(MalformedGraphException.class, () -> GraphReader.read(text, "Bad.graph")).getMessage();
    }

    @Test
    void damageIsNamed() {
        String message = error(TINY.replace("node concat cat 3,1 4 image:8,4,4", "node concat cat 3,2 4 image:8,4,4"));
        assertTrue(message.contains("concat cat joins image:5,4,4 and image:3,2,2"), message);
        message = error(TINY.replace("node concat cat 3,1 4", "node concat cat 3 4"));
        assertTrue(message.contains("concat reads 2 input(s), found 1"), message);
        message = error(TINY.replace("image:5,4,4 filters=5", "image:5,3,3 filters=5"));
        assertTrue(message.contains("conv_transpose up on image:3,2,2 gives image:5,4,4"), message);
        message = error(TINY.replace("param up.weight 3,5,2,2", "param up.weight 3,5,3,3"));
        assertTrue(message.contains("up.weight holds 135 floats") && message.contains("needs 60"), message);
        message = error(TINY.replace("image:8,4,4 scale=2", "image:8,6,6 scale=2"));
        assertTrue(message.contains("gives image:8,4,4"), message);
        assertTrue(error(TINY.replace("loss pixel_cross_entropy", "loss dice")).contains("unknown loss 'dice'"));
        message = error(TINY.replace("upsample up2 5 6 image:8,4,4 scale=2", "global_avg_pool g 5 6 vector:8"));
        assertTrue(message.contains("pixel_cross_entropy needs an image output, not vector:8"), message);
    }
}
