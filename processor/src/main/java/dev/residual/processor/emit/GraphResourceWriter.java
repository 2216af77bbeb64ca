package dev.residual.processor.emit;

import dev.residual.processor.graph.Graph;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Param;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.graph.Value;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import javax.annotation.processing.Filer;
import javax.lang.model.element.Element;
import javax.tools.FileObject;
import javax.tools.StandardLocation;

/**
 * Writes the model graph as a resource, {@code <GeneratedClass>.graph}, beside the generated class (in its package,
 * in CLASS_OUTPUT), so the runtime's interpreter can run the same graph op by op. The format is line-based text,
 * stable across builds (no timestamps; the same model gives the same bytes), version 1:
 *
 * <pre>
 * residual-graph 1
 * model &lt;interface&gt; &lt;generated class&gt;
 * batch &lt;largest batch&gt;
 * input &lt;value id&gt; &lt;shape&gt;
 * node &lt;kind&gt; &lt;path&gt; &lt;input ids, comma-separated&gt; &lt;output id&gt; &lt;output shape&gt; [key=value ...]
 * param &lt;PyTorch name&gt; &lt;dims, comma-separated&gt; &lt;trainable|buffer&gt; &lt;init&gt; &lt;fan-in&gt; &lt;node path&gt;
 * output &lt;value id&gt;
 * [loss pixel_cross_entropy]
 * </pre>
 *
 * A shape is {@code image:C,H,W} or {@code vector:F}. Nodes come in execution order, each followed by its
 * parameters in the order the generated class lays them out (so a seed initializes both the same way). Kinds and
 * their attributes: {@code conv} (filters, kernel, stride, padding, bias), {@code batch_norm} (eps, momentum),
 * {@code layer_norm} (eps), {@code group_norm} (groups, eps), {@code relu}, {@code gelu} (tanh), {@code max_pool}
 * and {@code avg_pool} (size, stride, padding), {@code global_avg_pool}, {@code dense} (units, bias), {@code add}
 * (branch + shortcut), {@code concat} (the arriving input, then the skip), {@code upsample} (scale),
 * {@code conv_transpose} (filters, kernel, stride, padding, bias). The optional {@code loss} record names a loss other
 * than the default softmax cross-entropy per sample (per position of a sequence). Lines starting with {@code #} are
 * comments. The reader is {@code dev.residual.runtime.interpreter.GraphReader}.
 */
public final class GraphResourceWriter {

    /** The format version this writer writes. */
    public static final int VERSION = 1;

    private final Graph graph;
    private final String className;
    private final boolean pixelLoss;

    public GraphResourceWriter(Graph graph, String className) {
        this(graph, className, false);
    }

    /** {@code pixelLoss}: the model trains with {@code Loss.PIXEL_CROSS_ENTROPY}, written as a {@code loss} record. */
    public GraphResourceWriter(Graph graph, String className, boolean pixelLoss) {
        this.graph = graph;
        this.className = className;
        this.pixelLoss = pixelLoss;
    }

    /** The resource's file name: {@code <GeneratedClass>.graph}. */
    public String fileName() {
        return className + ".graph";
    }

    public void write(Filer filer, String packageName, Element origin) throws IOException {
        FileObject file = filer.createResource(StandardLocation.CLASS_OUTPUT, packageName, fileName(), origin);
        try (Writer out = file.openWriter()) {
            out.write(text());
        }
    }

    /** The whole resource. */
    public String text() {
        List<String> lines = new ArrayList<>();
        lines.add("# Residual model graph: written by the annotation processor, read by the runtime's interpreter.");
        lines.add("residual-graph " + VERSION);
        lines.add("model " + graph.name() + " " + className);
        lines.add("batch " + graph.batch());
        lines.add("input " + graph.input().id() + " " + shape(graph.input().shape()));
        for (Node node : graph.nodes()) {
            String inputs = node.inputs().stream().map(v -> String.valueOf(v.id())).collect(Collectors.joining(","));
            Value out = node.output();
            String attributes = attributes(node.op());
            lines.add("node " + kind(node.op()) + " " + node.path() + " " + inputs + " " + out.id() + " "
                    + shape(out.shape()) + (attributes.isEmpty() ? "" : " " + attributes));
            for (Param param : node.params()) {
                lines.add("param " + param.name() + " " + join(param.shape()) + " "
                        + (param.trainable() ? "trainable" : "buffer") + " " + param.init().name().toLowerCase()
                        + " " + param.fanIn() + " " + node.path());
            }
        }
        lines.add("output " + graph.output().id());
        if (pixelLoss) {
            lines.add("loss pixel_cross_entropy");
        }
        return String.join("\n", lines) + "\n";
    }

    private static String kind(Op op) {
        return switch (op) {
            case Op.Conv c -> "conv";
            case Op.BatchNorm b -> "batch_norm";
            case Op.LayerNorm l -> "layer_norm";
            case Op.GroupNorm g -> "group_norm";
            case Op.Relu r -> "relu";
            case Op.Gelu g -> "gelu";
            case Op.MaxPool p -> "max_pool";
            case Op.AvgPool p -> "avg_pool";
            case Op.GlobalAvgPool p -> "global_avg_pool";
            case Op.Dense d -> "dense";
            case Op.Add a -> "add";
            case Op.Embedding e -> "embedding";
            case Op.PositionalEmbedding p -> "positional_embedding";
            case Op.Attention a -> "attention";
            case Op.Concat c -> "concat";
            case Op.Upsample u -> "upsample";
            case Op.ConvTranspose c -> "conv_transpose";
        };
    }

    private static String attributes(Op op) {
        return switch (op) {
            case Op.Conv c -> "filters=" + c.filters() + " kernel=" + c.kernel() + " stride=" + c.stride()
                    + " padding=" + c.padding() + " bias=" + c.bias();
            case Op.BatchNorm b -> "eps=" + b.eps() + " momentum=" + b.momentum();
            case Op.LayerNorm l -> "eps=" + l.eps();
            case Op.GroupNorm g -> "groups=" + g.groups() + " eps=" + g.eps();
            case Op.Gelu g -> "tanh=" + g.tanh();
            case Op.MaxPool p -> "size=" + p.size() + " stride=" + p.stride() + " padding=" + p.padding();
            case Op.AvgPool p -> "size=" + p.size() + " stride=" + p.stride() + " padding=" + p.padding();
            case Op.Dense d -> "units=" + d.units() + " bias=" + d.bias();
            case Op.Relu r -> "";
            case Op.GlobalAvgPool p -> "";
            case Op.Add a -> "";
            case Op.Embedding e -> "vocabulary=" + e.vocabulary() + " dim=" + e.dim();
            case Op.PositionalEmbedding p -> "";
            case Op.Attention a -> "heads=" + a.heads() + " causal=" + a.causal();
            case Op.Concat c -> "";
            case Op.Upsample u -> "scale=" + u.scale();
            case Op.ConvTranspose c -> "filters=" + c.filters() + " kernel=" + c.kernel() + " stride=" + c.stride()
                    + " padding=" + c.padding() + " bias=" + c.bias();
        };
    }

    private static String shape(Shape shape) {
        if (shape.sequence()) {
            return "sequence:" + shape.length() + "," + shape.channels();
        }
        return shape.image() ? "image:" + shape.channels() + "," + shape.height() + "," + shape.width()
                : "vector:" + shape.channels();
    }

    private static String join(int[] values) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            text.append(i == 0 ? "" : ",").append(values[i]);
        }
        return text.toString();
    }
}
