package dev.residual.runtime.interpreter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.interpreter.ModelGraph.Kind;
import dev.residual.runtime.model.ParameterSpec.Init;
import org.junit.jupiter.api.Test;

/** Reading a sequence model's graph: shapes {@code sequence:T,D}, the embeddings and attention, and their damage. */
class SequenceGraphReaderTest {

    static final String TINY = """
            residual-graph 1
            model Tiny TinyNet
            batch 2
            input 0 sequence:5,1
            node embedding embed.0 0 1 sequence:5,8 vocabulary=7 dim=8
            param embed.0.weight 7,8 trainable normal 0 embed.0
            node positional_embedding embed.1 1 2 sequence:5,8
            param embed.1.weight 5,8 trainable normal 0 embed.1
            node layer_norm attn.norm 2 3 sequence:5,8 eps=1.0E-5
            param attn.norm.weight 8 trainable ones 0 attn.norm
            param attn.norm.bias 8 trainable zeros 0 attn.norm
            node dense attn.qkv 3 4 sequence:5,24 units=24 bias=true
            param attn.qkv.weight 24,8 trainable kaiming_uniform 8 attn.qkv
            param attn.qkv.bias 24 trainable fan_in_uniform 8 attn.qkv
            node attention attn.attend 4 5 sequence:5,8 heads=2 causal=true
            node add attn.add 5,2 6 sequence:5,8
            node dense logits 6 7 sequence:5,7 units=7 bias=true
            param logits.weight 7,8 trainable kaiming_uniform 8 logits
            param logits.bias 7 trainable fan_in_uniform 8 logits
            output 7
            """;

    @Test
    void readsSequenceShapesAndOps() {
        ModelGraph graph = GraphReader.read(TINY, "Tiny.graph");
        assertTrue(graph.inputShape().sequence());
        assertEquals(5, graph.inputShape().positions());
        assertEquals(1, graph.inputShape().size());
        assertEquals(Kind.EMBEDDING, graph.nodes().get(0).kind());
        assertEquals(Init.NORMAL, graph.params().get(0).init());
        assertEquals(Kind.ATTENTION, graph.nodes().get(4).kind());
        assertTrue(graph.nodes().get(4).booleanAttribute("causal"));
        assertEquals("sequence:5,7", graph.outputShape().toString());
    }

    private static String error(String text) {
        return assertThrows(MalformedGraphException.class, () -> GraphReader.read(text, "Bad.graph")).getMessage();
    }

    @Test
    void badSequenceShapes() {
        assertTrue(error(TINY.replace("input 0 sequence:5,1", "input 0 sequence:5")).contains("bad shape"));
        assertTrue(error(TINY.replace("input 0 sequence:5,1", "input 0 sequence:0,1")).contains("at least 1"));
        String message = error(TINY.replace("1 sequence:5,8 vocabulary", "1 sequence:6,8 vocabulary"));
        assertTrue(message.contains("embed.0") && message.contains("gives sequence:5,8"), message);
    }

    @Test
    void embeddingReadsTokenIds() {
        String message = error(TINY.replace("input 0 sequence:5,1", "input 0 sequence:5,2"));
        assertTrue(message.contains("token ids"), message);
        message = error(TINY.replace("input 0 sequence:5,1", "input 0 vector:1"));
        assertTrue(message.contains("token ids"), message);
        assertTrue(error(TINY.replace(" vocabulary=7", "")).contains("vocabulary"));
        message = error(TINY.replace("param embed.0.weight 7,8", "param embed.0.weight 6,8"));
        assertTrue(message.contains("embed.0.weight holds 48 floats") && message.contains("needs 56"), message);
    }

    @Test
    void positionalTableMatchesTheSequence() {
        String message = error(TINY.replace("param embed.1.weight 5,8", "param embed.1.weight 4,8"));
        assertTrue(message.contains("embed.1.weight") && message.contains("needs 40"), message);
        message = error(TINY.replace("param embed.1.weight 5,8 trainable normal 0 embed.1\n", ""));
        assertTrue(message.contains("0 parameters, expected 1"), message);
    }

    @Test
    void attentionNeedsStackedQueriesKeysValuesAndDividingHeads() {
        assertTrue(error(TINY.replace("heads=2", "heads=3")).contains("3 heads do not divide 8"));
        assertTrue(error(TINY.replace("causal=true", "causal=yes")).contains("true or false"));
        assertTrue(error(TINY.replace(" causal=true", "")).contains("causal"));
        String message = error(TINY.replace("sequence:5,24 units=24", "sequence:5,23 units=23")
                .replace("attn.qkv.weight 24,8", "attn.qkv.weight 23,8")
                .replace("attn.qkv.bias 24", "attn.qkv.bias 23"));
        assertTrue(message.contains("3·D features"), message);
    }

    @Test
    void imageOpsRefuseSequences() {
        String text = TINY.replace("node add attn.add 5,2 6 sequence:5,8\n",
                "node global_avg_pool attn.add 5 6 vector:8\n");
        assertTrue(error(text).contains("cannot run on a sequence"), error(text));
    }
}
