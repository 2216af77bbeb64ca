package dev.residual.runtime.interpreter;

import dev.residual.runtime.interpreter.ModelGraph.Kind;
import dev.residual.runtime.interpreter.ModelGraph.Node;
import dev.residual.runtime.interpreter.ModelGraph.Param;
import dev.residual.runtime.interpreter.ModelGraph.Shape;
import dev.residual.runtime.model.ParameterSpec.Init;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the graph resource the processor writes beside a generated class (format 1, documented in the processor's
 * {@code GraphResourceWriter}). Everything the interpreter relies on is checked here, so a malformed resource is a
 * {@link MalformedGraphException} naming the line, never a failure in the middle of a forward pass: the header,
 * every value read before it is produced, each kind's attributes and parameter count, the output.
 */
public final class GraphReader {

    /** The format version this reader understands. */
    public static final int VERSION = 1;

    private final String source;
    private int line;
    private String model;
    private String className;
    private int batch = -1;
    private int input = -1;
    private Shape inputShape;
    private Integer output;
    private boolean pixelLoss;
    private final Map<Integer, Shape> values = new HashMap<>();
    private final List<Node> nodes = new ArrayList<>();
    private final List<List<Param>> params = new ArrayList<>();

    private GraphReader(String source) {
        this.source = source;
    }

    /** Loads the graph resource of a generated model class, from beside the class. */
    public static ModelGraph forClass(Class<?> generated) {
        String name = ModelGraph.resourceName(generated.getSimpleName());
        try (InputStream in = generated.getResourceAsStream(name)) {
            if (in == null) {
                throw new MalformedGraphException(generated.getName(), 0, "no resource " + name + " beside the class;"
                        + " it is written by the Residual annotation processor when it compiles the model (was the"
                        + " class compiled by an older version, or the resource left out of the jar?)");
            }
            return read(new String(in.readAllBytes(), StandardCharsets.UTF_8), name);
        } catch (IOException e) {
            throw new MalformedGraphException(name, 0, "cannot be read: " + e.getMessage());
        }
    }

    /** Parses a graph resource's text; {@code source} names it in error messages. */
    public static ModelGraph read(String text, String source) {
        return new GraphReader(source).parse(text);
    }

    private ModelGraph parse(String text) {
        boolean header = false;
        for (String raw : text.split("\n", -1)) {
            line++;
            String current = raw.strip();
            if (current.isEmpty() || current.startsWith("#")) {
                continue;
            }
            String[] fields = current.split(" +");
            if (!header) {
                if (!fields[0].equals("residual-graph") || fields.length != 2) {
                    throw error("expected the header 'residual-graph " + VERSION + "', found '" + current + "'");
                }
                int version = integer(fields[1], "version");
                if (version != VERSION) {
                    throw error("format version " + version + ", but this runtime reads version " + VERSION
                            + "; rebuild the model with the processor of the same Residual version");
                }
                header = true;
                continue;
            }
            switch (fields[0]) {
                case "model" -> {
                    expect(fields, 3, "model <interface> <class>");
                    model = fields[1];
                    className = fields[2];
                }
                case "batch" -> {
                    expect(fields, 2, "batch <n>");
                    batch = positive(fields[1], "batch");
                }
                case "input" -> {
                    expect(fields, 3, "input <id> <shape>");
                    input = integer(fields[1], "input id");
                    inputShape = shape(fields[2]);
                    values.put(input, inputShape);
                }
                case "node" -> node(fields);
                case "param" -> param(fields);
                case "output" -> {
                    expect(fields, 2, "output <id>");
                    output = integer(fields[1], "output id");
                    if (!values.containsKey(output)) {
                        throw error("output " + output + " is no value of the graph");
                    }
                }
                case "loss" -> {
                    expect(fields, 2, "loss pixel_cross_entropy");
                    if (!fields[1].equals("pixel_cross_entropy")) {
                        throw error("unknown loss '" + fields[1] + "'; this runtime knows pixel_cross_entropy");
                    }
                    pixelLoss = true;
                }
                default -> throw error("unknown record '" + fields[0] + "'");
            }
        }
        line = 0;
        if (!header) {
            throw error("empty: no 'residual-graph' header");
        }
        if (model == null || batch < 0 || inputShape == null || output == null) {
            throw error("incomplete: needs model, batch, input and output records");
        }
        if (nodes.isEmpty()) {
            throw error("no nodes");
        }
        List<Node> complete = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            List<Param> own = List.copyOf(params.get(i));
            int expected = expectedParams(node);
            if (own.size() != expected) {
                throw error("node " + node.path() + " (" + node.kind().token() + ") has " + own.size()
                        + " parameters, expected " + expected);
            }
            Node full = new Node(node.kind(), node.path(), node.inputs(), node.output(), node.shape(),
                    node.attributes(), own);
            checkShapes(full);
            complete.add(full);
        }
        if (pixelLoss && !values.get(output).image()) {
            throw error("loss pixel_cross_entropy needs an image output, not " + values.get(output));
        }
        return new ModelGraph(model, className, batch, input, inputShape, List.copyOf(complete), output, pixelLoss);
    }

    private void node(String[] fields) {
        if (fields.length < 6) {
            throw error("expected 'node <kind> <path> <inputs> <output> <shape> [key=value ...]'");
        }
        Kind kind = Kind.of(fields[1]);
        if (kind == null) {
            throw error("unknown node kind '" + fields[1] + "'");
        }
        String[] ids = fields[3].split(",");
        if (ids.length != kind.arity()) {
            throw error(kind.token() + " reads " + kind.arity() + " input(s), found " + ids.length);
        }
        int[] inputs = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            inputs[i] = integer(ids[i], "input id");
            if (!values.containsKey(inputs[i])) {
                throw error("node " + fields[2] + " reads value " + inputs[i] + " before any node produces it");
            }
        }
        int out = integer(fields[4], "output id");
        if (values.containsKey(out)) {
            throw error("value " + out + " is produced twice");
        }
        Shape shape = shape(fields[5]);
        Map<String, String> attributes = new LinkedHashMap<>();
        for (int i = 6; i < fields.length; i++) {
            int eq = fields[i].indexOf('=');
            if (eq <= 0) {
                throw error("attribute '" + fields[i] + "' is not key=value");
            }
            attributes.put(fields[i].substring(0, eq), fields[i].substring(eq + 1));
        }
        for (String name : kind.attributes()) {
            String value = attributes.get(name);
            if (value == null) {
                throw error(kind.token() + " " + fields[2] + " lacks the attribute " + name);
            }
            switch (name) {
                case "eps", "momentum" -> number(value, name);
                case "bias", "tanh", "causal" -> {
                    if (!value.equals("true") && !value.equals("false")) {
                        throw error(name + " must be true or false, found '" + value + "'");
                    }
                }
                case "padding" -> integer(value, name);
                default -> positive(value, name);
            }
        }
        values.put(out, shape);
        nodes.add(new Node(kind, fields[2], inputs, out, shape, Map.copyOf(attributes), List.of()));
        params.add(new ArrayList<>());
    }

    private void param(String[] fields) {
        expect(fields, 7, "param <name> <dims> <trainable|buffer> <init> <fan-in> <node>");
        if (nodes.isEmpty() || !nodes.get(nodes.size() - 1).path().equals(fields[6])) {
            throw error("parameter " + fields[1] + " must follow its node " + fields[6]);
        }
        String[] parts = fields[2].split(",");
        int[] shape = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            shape[i] = positive(parts[i], "dimension");
        }
        if (!fields[3].equals("trainable") && !fields[3].equals("buffer")) {
            throw error("expected trainable or buffer, found '" + fields[3] + "'");
        }
        Init init;
        try {
            init = Init.valueOf(fields[4].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw error("unknown init '" + fields[4] + "'");
        }
        params.get(params.size() - 1).add(new Param(fields[1], shape, fields[3].equals("trainable"), init,
                integer(fields[5], "fan-in"), fields[6]));
    }

    /**
     * Checks a node's output shape and parameter shapes against its input shape and attributes, so that a damaged
     * resource is reported here rather than as an out-of-bounds access in a kernel.
     */
    private void checkShapes(Node node) {
        Shape in = values.get(node.input());
        checkSequence(node, in);
        Shape expected = switch (node.kind()) {
            case CONV -> window(node, in, node.intAttribute("kernel"), node.intAttribute("filters"));
            case MAX_POOL, AVG_POOL -> window(node, in, node.intAttribute("size"), in.channels());
            case GLOBAL_AVG_POOL -> new Shape(in.channels(), 1, 1, false);
            case DENSE -> in.sequence() ? Shape.sequence(in.length(), node.intAttribute("units"))
                    : new Shape(node.intAttribute("units"), 1, 1, false);
            case EMBEDDING -> Shape.sequence(in.length(), node.intAttribute("dim"));
            case ATTENTION -> Shape.sequence(in.length(), in.channels() / 3);
            case CONCAT -> {
                Shape skip = values.get(node.inputs()[1]);
                if (!in.image() || !skip.image() || skip.height() != in.height() || skip.width() != in.width()) {
                    throw error("concat " + node.path() + " joins " + in + " and " + skip);
                }
                yield new Shape(in.channels() + skip.channels(), in.height(), in.width(), true);
            }
            case UPSAMPLE -> {
                int scale = node.intAttribute("scale");
                if (!in.image()) {
                    throw error("upsample " + node.path() + " needs an image, not " + in);
                }
                yield new Shape(in.channels(), in.height() * scale, in.width() * scale, true);
            }
            case CONV_TRANSPOSE -> {
                int kernel = node.intAttribute("kernel"), stride = node.intAttribute("stride");
                int padding = node.intAttribute("padding");
                int height = (in.height() - 1) * stride - 2 * padding + kernel;
                int width = (in.width() - 1) * stride - 2 * padding + kernel;
                if (!in.image() || height < 1 || width < 1) {
                    throw error("conv_transpose " + node.path() + " leaves no pixels of its input " + in);
                }
                yield new Shape(node.intAttribute("filters"), height, width, true);
            }
            case ADD -> {
                if (!values.get(node.inputs()[1]).equals(in)) {
                    throw error("add " + node.path() + " adds " + in + " and " + values.get(node.inputs()[1]));
                }
                yield in;
            }
            default -> in;
        };
        if (!expected.equals(node.shape())) {
            throw error(node.kind().token() + " " + node.path() + " on " + in + " gives " + expected + ", but the "
                    + "resource says " + node.shape());
        }
        long[] sizes = switch (node.kind()) {
            case CONV -> new long[] {(long) in.channels() * node.intAttribute("kernel") * node.intAttribute("kernel")
                    * expected.channels(), expected.channels()};
            case DENSE -> new long[] {in.size() * expected.channels(), expected.channels()};
            case CONV_TRANSPOSE -> new long[] {(long) in.channels() * node.intAttribute("kernel")
                    * node.intAttribute("kernel") * expected.channels(), expected.channels()};
            case LAYER_NORM -> new long[] {in.size(), in.size()};
            case BATCH_NORM, GROUP_NORM -> new long[] {in.channels(), in.channels(), in.channels(), in.channels()};
            case EMBEDDING -> new long[] {(long) node.intAttribute("vocabulary") * expected.channels()};
            case POSITIONAL_EMBEDDING -> new long[] {(long) in.length() * in.channels()};
            default -> new long[0];
        };
        for (int i = 0; i < node.params().size(); i++) {
            Param param = node.params().get(i);
            if (param.size() != sizes[i]) {
                throw error("parameter " + param.name() + " holds " + param.size() + " floats, but " + node.path()
                        + " on " + in + " needs " + sizes[i]);
            }
        }
        if (node.kind() == Kind.GROUP_NORM && in.channels() % node.intAttribute("groups") != 0) {
            throw error("group norm " + node.path() + ": " + node.intAttribute("groups") + " groups do not divide "
                    + in.channels() + " channels");
        }
    }

    /**
     * Sequences flow only through the ops that run per position or know the sequence: an embedding reads the token
     * ids (one feature per position), attention reads queries, keys and values stacked ({@code 3·D} features, with
     * heads dividing {@code D}); convolutions, pools and batch or group norm never see a sequence.
     */
    private void checkSequence(Node node, Shape in) {
        String name = node.kind().token() + " " + node.path();
        switch (node.kind()) {
            case EMBEDDING -> {
                if (!in.sequence() || in.channels() != 1) {
                    throw error(name + " reads token ids, a sequence of one feature per position, not " + in);
                }
            }
            case POSITIONAL_EMBEDDING -> {
                if (!in.sequence()) {
                    throw error(name + " needs a sequence input, not " + in);
                }
            }
            case ATTENTION -> {
                if (!in.sequence() || in.channels() % 3 != 0) {
                    throw error(name + " reads queries, keys and values: a sequence of 3·D features, not " + in);
                }
                int heads = node.intAttribute("heads");
                if ((in.channels() / 3) % heads != 0) {
                    throw error(name + ": " + heads + " heads do not divide " + in.channels() / 3 + " features");
                }
            }
            case LAYER_NORM, DENSE, RELU, GELU, ADD -> { }
            default -> {
                if (in.sequence()) {
                    throw error(name + " cannot run on a sequence (" + in + ")");
                }
            }
        }
    }

    /** The output shape of a sliding window over an image input. */
    private Shape window(Node node, Shape in, int kernel, int channels) {
        int stride = node.intAttribute("stride"), padding = node.intAttribute("padding");
        if (!in.image() || kernel > in.height() + 2 * padding || kernel > in.width() + 2 * padding) {
            throw error(node.kind().token() + " " + node.path() + " with a " + kernel + "×" + kernel + " window does "
                    + "not fit its input " + in);
        }
        return new Shape(channels, (in.height() + 2 * padding - kernel) / stride + 1,
                (in.width() + 2 * padding - kernel) / stride + 1, true);
    }

    private static int expectedParams(Node node) {
        return switch (node.kind()) {
            case CONV, DENSE, CONV_TRANSPOSE -> node.booleanAttribute("bias") ? 2 : 1;
            case BATCH_NORM -> 4;
            case LAYER_NORM, GROUP_NORM -> 2;
            case EMBEDDING, POSITIONAL_EMBEDDING -> 1;
            default -> 0;
        };
    }

    private Shape shape(String text) {
        if (text.startsWith("image:")) {
            String[] dims = text.substring(6).split(",");
            if (dims.length == 3) {
                return new Shape(positive(dims[0], "channels"), positive(dims[1], "height"),
                        positive(dims[2], "width"), true);
            }
        } else if (text.startsWith("vector:")) {
            return new Shape(positive(text.substring(7), "features"), 1, 1, false);
        } else if (text.startsWith("sequence:")) {
            String[] dims = text.substring(9).split(",");
            if (dims.length == 2) {
                return Shape.sequence(positive(dims[0], "length"), positive(dims[1], "features"));
            }
        }
        throw error("bad shape '" + text + "': expected image:C,H,W, vector:F or sequence:T,D");
    }

    private void expect(String[] fields, int count, String form) {
        if (fields.length != count) {
            throw error("expected '" + form + "'");
        }
    }

    private int positive(String text, String what) {
        int value = integer(text, what);
        if (value < 1) {
            throw error(what + " must be at least 1, found " + value);
        }
        return value;
    }

    private int integer(String text, String what) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw error(what + " must be an integer, found '" + text + "'");
        }
    }

    private void number(String text, String what) {
        try {
            double value = Double.parseDouble(text);
            if (!Double.isFinite(value)) {
                throw error(what + " must be finite, found '" + text + "'");
            }
        } catch (NumberFormatException e) {
            throw error(what + " must be a number, found '" + text + "'");
        }
    }

    private MalformedGraphException error(String problem) {
        return new MalformedGraphException(source, line, problem);
    }
}
