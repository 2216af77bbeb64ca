package dev.residual.processor.graph;

import dev.residual.processor.diagnostics.Code;
import dev.residual.processor.diagnostics.Location;
import dev.residual.processor.diagnostics.Reporter;
import dev.residual.processor.graph.Param.Init;
import dev.residual.processor.read.BlockSpec;
import dev.residual.processor.read.LayerSpec;
import dev.residual.processor.read.ModelSpec;
import dev.residual.processor.read.OpKind;
import dev.residual.processor.read.OpSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Step 3 of the pipeline: turns a validated {@link ModelSpec} into a {@link Graph}, expanding residual stages into
 * blocks, resolving the values a block inherits, choosing shortcuts and inferring every shape. A shape mistake is
 * reported on the annotation value that causes it, and building stops there (later shapes would only repeat it).
 */
public final class GraphBuilder {

    private static final int BLOCK = -1;
    private static final int SAME = -1;

    private final Reporter reporter;
    private final ModelSpec spec;
    private final List<Node> nodes = new ArrayList<>();
    /** The output of each model layer built so far, by method name: what a {@code @Concat} skip reads. */
    private final java.util.Map<String, Value> layerOutputs = new java.util.HashMap<>();
    private int nextValue;

    /** Thrown to stop at the first shape error, after it was reported. */
    private static final class ShapeError extends RuntimeException {
        ShapeError() {
            super(null, null, false, false);
        }
    }

    /** What a block inherits from the @Residual that runs it. */
    private record Context(String prefix, int filters, int stride, boolean[] strideUsed) {
        static final Context MODEL = new Context("", SAME, 1, new boolean[1]);

        String path(String name) {
            return prefix.isEmpty() ? name : prefix + "." + name;
        }
    }

    public GraphBuilder(Reporter reporter, ModelSpec spec) {
        this.reporter = reporter;
        this.spec = spec;
    }

    /** The graph, or null when a shape error was reported. */
    public Graph build() {
        List<Integer> dims = spec.input();
        Shape inputShape = dims.size() == 3 ? Shape.image(dims.get(0), dims.get(1), dims.get(2))
                : spec.vocabulary() > 0 ? Shape.sequence(dims.get(0), 1) : Shape.vector(dims.get(0));
        Value input = newValue("input", inputShape);
        List<Graph.Layer> layers = new ArrayList<>();
        Value current = input;
        try {
            for (LayerSpec layer : spec.layers()) {
                int first = nodes.size();
                List<List<Node>> blocks = new ArrayList<>();
                Value out = layer(layer, current, Context.MODEL, layer.name(), blocks);
                checkBatchFits(layer, out.shape());
                layers.add(new Graph.Layer(layer.name(), current.shape(), out,
                        List.copyOf(nodes.subList(first, nodes.size())), List.copyOf(blocks)));
                layerOutputs.put(layer.name(), out);
                current = out;
            }
            checkLoss(current.shape());
        } catch (ShapeError e) {
            return null;
        }
        return new Graph(spec.element().getSimpleName().toString(), spec.batch(), input, current, List.copyOf(nodes),
                List.copyOf(layers));
    }

    /** Applies one layer method; {@code blocks} collects the blocks of a residual stage. */
    private Value layer(LayerSpec layer, Value x, Context context, String owner, List<List<Node>> blocks) {
        OpSpec primary = layer.primary();
        if (primary != null && primary.kind() == OpKind.RESIDUAL) {
            return residual(layer, primary, x, context, owner, blocks);
        }
        List<OpSpec> ops = layer.ops();
        Value current = x;
        for (int i = 0; i < ops.size(); i++) {
            String path = context.path(ops.size() == 1 ? layer.name() : layer.name() + "." + i);
            OpSpec next = i + 1 < ops.size() ? ops.get(i + 1) : null;
            current = op(ops.get(i), next, current, path, context, owner);
        }
        return current;
    }

    private Value op(OpSpec op, OpSpec next, Value x, String path, Context context, String owner) {
        Shape in = x.shape();
        boolean normFollows = next != null && next.kind() == OpKind.NORM;
        checkTokens(op, x, path);
        return switch (op.kind()) {
            case CONV -> conv(op, normFollows, x, path, context, owner);
            case DENSE -> {
                int units = op.intValue("units");
                boolean bias = bias(op, normFollows);
                int fanIn = in.sequence() ? in.channels() : (int) in.size(); // a sequence: per position
                List<Param> params = new ArrayList<>();
                params.add(new Param(path + ".weight", new int[] {units, fanIn}, Init.KAIMING_UNIFORM, fanIn, true));
                if (bias) {
                    params.add(new Param(path + ".bias", new int[] {units}, Init.FAN_IN_UNIFORM, fanIn, true));
                }
                Shape out = in.sequence() ? Shape.sequence(in.length(), units) : Shape.vector(units);
                yield add(path, owner, new Op.Dense(units, bias), x, out, params, op);
            }
            case POOL -> pool(op, x, path, owner);
            case NORM -> norm(op, x, path, owner);
            case RELU -> add(path, owner, new Op.Relu(), x, in, List.of(), op);
            case GELU -> add(path, owner, new Op.Gelu(op.booleanValue("tanh")), x, in, List.of(), op);
            case EMBEDDING -> embedding(op, x, path, owner);
            case POSITIONAL_EMBEDDING -> positionalEmbedding(op, x, path, owner);
            case ATTENTION -> attention(op, x, path, owner);
            case CONCAT -> concat(op, x, path, owner);
            case UPSAMPLE -> {
                int scale = op.intValue("scale");
                Shape image = requireImage(op, x, path);
                Shape out = Shape.image(image.channels(), image.height() * scale, image.width() * scale);
                yield add(path, owner, new Op.Upsample(scale), x, out, List.of(), op);
            }
            case CONV_TRANSPOSE -> convTranspose(op, normFollows, x, path, owner);
            case RESIDUAL -> throw new IllegalStateException("residual handled by layer()");
        };
    }

    private Value conv(OpSpec op, boolean normFollows, Value x, String path, Context context, String owner) {
        Shape in = requireImage(op, x, path);
        int filters = op.intValue("filters");
        if (filters == BLOCK) {
            filters = context.filters() == SAME ? in.channels() : context.filters();
        }
        int stride = op.intValue("stride");
        if (stride == BLOCK) {
            stride = context.stride();
            context.strideUsed()[0] = true;
        }
        int kernel = op.intValue("kernel");
        int padding = op.intValue("padding");
        Shape out = Shape.image(filters, window(op, "kernel", path, in, kernel, stride, padding, true),
                window(op, "kernel", path, in, kernel, stride, padding, false));
        boolean bias = bias(op, normFollows);
        int fanIn = in.channels() * kernel * kernel;
        List<Param> params = new ArrayList<>();
        params.add(new Param(path + ".weight", new int[] {filters, in.channels(), kernel, kernel},
                Init.KAIMING_UNIFORM, fanIn, true));
        if (bias) {
            params.add(new Param(path + ".bias", new int[] {filters}, Init.FAN_IN_UNIFORM, fanIn, true));
        }
        return add(path, owner, new Op.Conv(filters, kernel, stride, padding, bias), x, out, params, op);
    }

    /** {@code torch.cat([x, skip], dim=1)}: the named layer's output must be an image of the same height and width. */
    private Value concat(OpSpec op, Value x, String path, String owner) {
        Shape in = requireImage(op, x, path);
        String name = (String) op.values().get("value").getValue();
        Value skip = layerOutputs.get(name); // validation made sure it names an earlier model layer
        Shape other = skip.shape();
        if (!other.image() || other.height() != in.height() || other.width() != in.width()) {
            reporter.error(op.location("value"), Code.CONCAT_SHAPE_MISMATCH, path, name, in, other);
            throw new ShapeError();
        }
        Shape out = Shape.image(in.channels() + other.channels(), in.height(), in.width());
        return add(path, owner, new Op.Concat(name), List.of(x, skip), out, List.of(), op);
    }

    /**
     * {@code nn.ConvTranspose2d}: output {@code (H − 1)·stride − 2·padding + K}; weight {@code [C, F, K, K]}, whose
     * PyTorch fan-in (dimension 1 of the weight times the kernel area) is {@code F·K·K}.
     */
    private Value convTranspose(OpSpec op, boolean normFollows, Value x, String path, String owner) {
        Shape in = requireImage(op, x, path);
        int filters = op.intValue("filters"), kernel = op.intValue("kernel"), stride = op.intValue("stride");
        int padding = op.intValue("padding");
        int height = (in.height() - 1) * stride - 2 * padding + kernel;
        int width = (in.width() - 1) * stride - 2 * padding + kernel;
        if (height < 1 || width < 1) {
            int most = ((Math.min(in.height(), in.width()) - 1) * stride + kernel - 1) / 2;
            reporter.error(op.location("padding"), Code.TRANSPOSED_OUTPUT_EMPTY, path, kernel, stride, padding, in,
                    most);
            throw new ShapeError();
        }
        boolean bias = bias(op, normFollows);
        int fanIn = filters * kernel * kernel;
        List<Param> params = new ArrayList<>();
        params.add(new Param(path + ".weight", new int[] {in.channels(), filters, kernel, kernel},
                Init.KAIMING_UNIFORM, fanIn, true));
        if (bias) {
            params.add(new Param(path + ".bias", new int[] {filters}, Init.FAN_IN_UNIFORM, fanIn, true));
        }
        return add(path, owner, new Op.ConvTranspose(filters, kernel, stride, padding, bias), x,
                Shape.image(filters, height, width), params, op);
    }

    /** The per-pixel loss needs class scores per pixel: the model must end in an image. */
    private void checkLoss(Shape out) {
        if (spec.pixelLoss() && !out.image()) {
            javax.lang.model.element.AnnotationValue value = null;
            for (var entry : spec.mirror().getElementValues().entrySet()) {
                if (entry.getKey().getSimpleName().contentEquals("loss")) {
                    value = entry.getValue();
                }
            }
            reporter.error(new Location(spec.element(), spec.mirror(), value), Code.PIXEL_LOSS_NEEDS_IMAGE,
                    spec.element().getSimpleName(), out);
            throw new ShapeError();
        }
    }

    private Value pool(OpSpec op, Value x, String path, String owner) {
        Shape in = requireImage(op, x, path);
        String kind = op.enumValue("value");
        if (kind.equals("GLOBAL_AVERAGE")) {
            return add(path, owner, new Op.GlobalAvgPool(), x, Shape.vector(in.channels()), List.of(), op);
        }
        int size = op.intValue("size");
        int stride = op.intValue("stride") == 0 ? size : op.intValue("stride");
        int padding = op.intValue("padding");
        Shape out = Shape.image(in.channels(), window(op, "size", path, in, size, stride, padding, true),
                window(op, "size", path, in, size, stride, padding, false));
        Op pool = kind.equals("MAX") ? new Op.MaxPool(size, stride, padding) : new Op.AvgPool(size, stride, padding);
        return add(path, owner, pool, x, out, List.of(), op);
    }

    private Value norm(OpSpec op, Value x, String path, String owner) {
        Shape in = x.shape();
        double eps = op.doubleValue("eps");
        int c = in.channels();
        return switch (op.enumValue("kind")) {
            case "LAYER" -> {
                int[] shape = in.sequence() ? new int[] {c} : in.dims(); // a sequence: per position, over D
                List<Param> params = List.of(
                        new Param(path + ".weight", shape, Init.ONES, 0, true),
                        new Param(path + ".bias", shape, Init.ZEROS, 0, true));
                yield add(path, owner, new Op.LayerNorm(eps), x, in, params, op);
            }
            case "GROUP" -> {
                int groups = op.intValue("groups");
                requireNotSequence(op, in, path, "GROUP");
                if (!in.image()) {
                    reporter.error(op.location(), Code.GROUP_NORM_ON_VECTOR, path, in.channels());
                    throw new ShapeError();
                }
                if (c % groups != 0) {
                    reporter.error(op.location("groups"), Code.GROUPS_NOT_DIVIDING, path, groups, c, c, divisors(c));
                    throw new ShapeError();
                }
                List<Param> params = List.of(
                        new Param(path + ".weight", new int[] {c}, Init.ONES, 0, true),
                        new Param(path + ".bias", new int[] {c}, Init.ZEROS, 0, true));
                yield add(path, owner, new Op.GroupNorm(groups, eps), x, in, params, op);
            }
            default -> {
                requireNotSequence(op, in, path, "BATCH");
                List<Param> params = List.of(
                        new Param(path + ".weight", new int[] {c}, Init.ONES, 0, true),
                        new Param(path + ".bias", new int[] {c}, Init.ZEROS, 0, true),
                        new Param(path + ".running_mean", new int[] {c}, Init.ZEROS, 0, false),
                        new Param(path + ".running_var", new int[] {c}, Init.ONES, 0, false));
                yield add(path, owner, new Op.BatchNorm(eps, op.doubleValue("momentum")), x, in, params, op);
            }
        };
    }

    /** {@code repeat} blocks, each {@code activation(F(x) + shortcut(x))}. */
    private Value residual(LayerSpec layer, OpSpec op, Value x, Context outer, String owner,
                           List<List<Node>> blocks) {
        BlockSpec block = spec.block(op);
        int repeat = op.intValue("repeat");
        int filters = op.intValue("filters");
        String shortcut = op.enumValue("shortcut");
        String activation = op.enumValue("activation");
        String stage = outer.path(layer.name());
        Value current = x;
        for (int i = 0; i < repeat; i++) {
            int first = nodes.size();
            int stride = i == 0 ? op.intValue("stride") : 1;
            String prefix = stage + "." + i;
            Context context = new Context(prefix, filters, stride, new boolean[1]);
            Value branch = current;
            for (LayerSpec inner : block.layers()) {
                branch = layer(inner, branch, context, owner, new ArrayList<>());
            }
            Shape in = current.shape(), out = branch.shape();
            String blockName = block.element().getSimpleName().toString();
            if (i == 0 && filters != SAME && out.channels() != filters) {
                reporter.error(op.location("filters"), Code.RESIDUAL_FILTERS_IGNORED, prefix, filters, blockName,
                        out.channels());
                throw new ShapeError();
            }
            if (i == 0 && stride > 1 && !context.strideUsed()[0]) {
                reporter.error(op.location("stride"), Code.RESIDUAL_STRIDE_IGNORED, prefix, stride, blockName);
                throw new ShapeError();
            }
            if (spec.plain()) {
                // The plain twin (He et al.'s "plain" net): the block's layers alone, then the activation.
                current = activate(activation, prefix, owner, branch, out, op);
                blocks.add(List.copyOf(nodes.subList(first, nodes.size())));
                continue;
            }
            Value skip = current;
            boolean same = in.equals(out);
            if (in.sequence()) {
                checkSequenceBlock(op, prefix, blockName, in, out, shortcut);
            }
            if (!same && shortcut.equals("IDENTITY")) {
                reporter.error(op.location("shortcut"), Code.IDENTITY_SHAPE_CHANGE, prefix, blockName, in, out);
                throw new ShapeError();
            }
            if (!same || shortcut.equals("PROJECTION")) {
                skip = projection(op, current, out, stride, prefix + ".shortcut", owner, blockName);
            }
            Value sum = add(prefix + ".add", owner, new Op.Add(), List.of(branch, skip), out, List.of(), op);
            current = activate(activation, prefix, owner, sum, out, op);
            blocks.add(List.copyOf(nodes.subList(first, nodes.size())));
        }
        return current;
    }

    /** A sequence block adds its input unchanged: no projection exists, so the features must come back as they went. */
    private void checkSequenceBlock(OpSpec op, String prefix, String blockName, Shape in, Shape out, String shortcut) {
        if (shortcut.equals("PROJECTION")) {
            reporter.error(op.location("shortcut"), Code.SEQUENCE_PROJECTION, prefix);
            throw new ShapeError();
        }
        if (!in.equals(out)) {
            reporter.error(op.location("block"), Code.SEQUENCE_BLOCK_CHANGES_FEATURES, prefix, blockName, in, out,
                    in.channels(), in.channels());
            throw new ShapeError();
        }
    }

    /** The activation a residual block applies after its add (in a plain twin: after its branch). */
    private Value activate(String activation, String prefix, String owner, Value x, Shape shape, OpSpec op) {
        return switch (activation) {
            case "RELU" -> add(prefix + ".relu", owner, new Op.Relu(), x, shape, List.of(), op);
            case "GELU" -> add(prefix + ".gelu", owner, new Op.Gelu(false), x, shape, List.of(), op);
            default -> x;
        };
    }

    /** The projection shortcut: 1×1 convolution with the block's stride, then batch norm. */
    private Value projection(OpSpec op, Value x, Shape target, int stride, String path, String owner,
                             String blockName) {
        Shape in = x.shape();
        if (!in.image() || !target.image()) {
            reporter.error(op.location(), Code.ADD_SHAPE_MISMATCH, path, blockName, target, in);
            throw new ShapeError();
        }
        Shape out = Shape.image(target.channels(), (in.height() - 1) / stride + 1, (in.width() - 1) / stride + 1);
        if (!out.equals(target)) {
            reporter.error(op.location(), Code.ADD_SHAPE_MISMATCH, path, blockName, target, out);
            throw new ShapeError();
        }
        int c = target.channels();
        Value conv = add(path + ".0", owner, new Op.Conv(c, 1, stride, 0, false), x, out,
                List.of(new Param(path + ".0.weight", new int[] {c, in.channels(), 1, 1}, Init.KAIMING_UNIFORM,
                        in.channels(), true)), op);
        List<Param> norm = List.of(
                new Param(path + ".1.weight", new int[] {c}, Init.ONES, 0, true),
                new Param(path + ".1.bias", new int[] {c}, Init.ZEROS, 0, true),
                new Param(path + ".1.running_mean", new int[] {c}, Init.ZEROS, 0, false),
                new Param(path + ".1.running_var", new int[] {c}, Init.ONES, 0, false));
        return add(path + ".1", owner, new Op.BatchNorm(1e-5, 0.1), conv, out, norm, op);
    }

    /** Token ids: the model input of a sequence model, which only an {@code @Embedding} reads. */
    private void checkTokens(OpSpec op, Value x, String path) {
        boolean tokens = x.id() == 0 && spec.vocabulary() > 0;
        if (tokens && op.kind() != OpKind.EMBEDDING) {
            reporter.error(op.location(), Code.TOKENS_NEED_EMBEDDING, path, op.kind().annotation());
            throw new ShapeError();
        }
        if (!tokens && op.kind() == OpKind.EMBEDDING) {
            String reason = spec.vocabulary() > 0 ? "it is not the model's first op"
                    : "the model declares no vocabulary";
            reporter.error(op.location(), Code.EMBEDDING_WITHOUT_TOKENS, path, reason);
            throw new ShapeError();
        }
    }

    /** {@code weight[V, D]} from N(0, 1), as {@code nn.Embedding}. */
    private Value embedding(OpSpec op, Value x, String path, String owner) {
        int vocabulary = spec.vocabulary(), dim = op.intValue("dim");
        Param table = new Param(path + ".weight", new int[] {vocabulary, dim}, Init.NORMAL, 0, true);
        return add(path, owner, new Op.Embedding(vocabulary, dim), x, Shape.sequence(x.shape().length(), dim),
                List.of(table), op);
    }

    /** {@code weight[T, D]} from N(0, 1), added to each position. */
    private Value positionalEmbedding(OpSpec op, Value x, String path, String owner) {
        Shape in = requireSequence(op, x, path);
        Param table = new Param(path + ".weight", new int[] {in.length(), in.channels()}, Init.NORMAL, 0, true);
        return add(path, owner, new Op.PositionalEmbedding(), x, in, List.of(table), op);
    }

    /**
     * Multi-head self-attention as three nodes: the {@code qkv} projection (a dense layer to {@code 3D}), the
     * attention proper, and the output projection {@code proj} — PyTorch names {@code <path>.qkv.weight},
     * {@code <path>.proj.weight}, as GPT-2's {@code c_attn} and {@code c_proj}.
     */
    private Value attention(OpSpec op, Value x, String path, String owner) {
        Shape in = requireSequence(op, x, path);
        int d = in.channels(), heads = op.intValue("heads");
        if (d % heads != 0) {
            reporter.error(op.location("heads"), Code.HEADS_NOT_DIVIDING, path, heads, d, d, divisors(d));
            throw new ShapeError();
        }
        Value qkv = add(path + ".qkv", owner, new Op.Dense(3 * d, true, true), x, Shape.sequence(in.length(), 3 * d),
                denseParams(path + ".qkv", 3 * d, d), op);
        Value mixed = add(path + ".attend", owner, new Op.Attention(heads, op.booleanValue("causal")), qkv, in,
                List.of(), op);
        return add(path + ".proj", owner, new Op.Dense(d, true), mixed, in, denseParams(path + ".proj", d, d), op);
    }

    private static List<Param> denseParams(String path, int units, int fanIn) {
        return List.of(new Param(path + ".weight", new int[] {units, fanIn}, Init.KAIMING_UNIFORM, fanIn, true),
                new Param(path + ".bias", new int[] {units}, Init.FAN_IN_UNIFORM, fanIn, true));
    }

    private Shape requireSequence(OpSpec op, Value x, String path) {
        if (!x.shape().sequence()) {
            reporter.error(op.location(), Code.NEEDS_SEQUENCE, path, op.kind().annotation(), x.shape());
            throw new ShapeError();
        }
        return x.shape();
    }

    private void requireNotSequence(OpSpec op, Shape in, String path, String kind) {
        if (in.sequence()) {
            reporter.error(op.location(), Code.NORM_ACROSS_POSITIONS, path, kind);
            throw new ShapeError();
        }
    }

    private Shape requireImage(OpSpec op, Value x, String path) {
        if (x.shape().sequence()) {
            reporter.error(op.location(), Code.IMAGE_OP_ON_SEQUENCE, path, op.kind().annotation(), x.shape());
            throw new ShapeError();
        }
        if (!x.shape().image()) {
            reporter.error(op.location(), Code.NEEDS_IMAGE, path, op.kind().annotation(), x.shape().channels());
            throw new ShapeError();
        }
        return x.shape();
    }

    /** One output dimension of a sliding window; reports a window that does not fit. */
    private int window(OpSpec op, String attribute, String path, Shape in, int kernel, int stride, int padding,
                       boolean height) {
        int size = height ? in.height() : in.width();
        if (kernel > size + 2 * padding) {
            String inputSize = in.height() + "×" + in.width();
            int padded = Math.min(in.height(), in.width()) + 2 * padding;
            reporter.error(op.location(attribute), Code.KERNEL_TOO_LARGE, path, kernel, kernel,
                    op.kind().annotation(), (in.height() + 2 * padding) + "×" + (in.width() + 2 * padding),
                    inputSize, padding, padded);
            throw new ShapeError();
        }
        return (size + 2 * padding - kernel) / stride + 1;
    }

    private void checkBatchFits(LayerSpec layer, Shape shape) {
        long columns = (long) spec.batch() * shape.spatial() * shape.positions();
        if (columns > Integer.MAX_VALUE / 64) {
            reporter.error(Location.of(layer.method()), Code.MODEL_TOO_LARGE, spec.element().getSimpleName(),
                    columns + " columns in " + layer.name(), "GEMM dimensions are 32-bit");
            throw new ShapeError();
        }
    }

    private static boolean bias(OpSpec op, boolean normFollows) {
        return switch (op.enumValue("bias")) {
            case "ON" -> true;
            case "OFF" -> false;
            default -> !normFollows;
        };
    }

    private static String divisors(int n) {
        List<String> divisors = new ArrayList<>();
        for (int d = 1; d <= n; d++) {
            if (n % d == 0) {
                divisors.add(String.valueOf(d));
            }
        }
        return String.join(", ", divisors);
    }

    private Value newValue(String name, Shape shape) {
        return new Value(nextValue++, name, shape);
    }

    private Value add(String path, String owner, Op op, Value x, Shape out, List<Param> params, OpSpec origin) {
        return add(path, owner, op, List.of(x), out, params, origin);
    }

    private Value add(String path, String owner, Op op, List<Value> inputs, Shape out, List<Param> params,
                      OpSpec origin) {
        Value output = newValue(path, out);
        nodes.add(new Node(path, owner, op, List.copyOf(inputs), output, List.copyOf(params), origin.method()));
        return output;
    }
}
