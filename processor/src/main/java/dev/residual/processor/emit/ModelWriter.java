package dev.residual.processor.emit;

import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import dev.residual.processor.ResidualProcessor;
import dev.residual.processor.emit.ops.OpEmitter;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Graph;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Param;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.graph.Value;
import dev.residual.processor.names.Names;
import dev.residual.processor.plan.MemoryPlan;
import dev.residual.processor.plan.Step;
import dev.residual.processor.read.ModelSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.annotation.processing.Filer;
import javax.lang.model.element.Modifier;

/**
 * Step 5 of the pipeline: writes the generated class. Its members, in order: shape constants, memory-plan
 * constants, the parameter table, constructors, {@code forward}, one private method per layer (per block for a
 * residual stage), and the layer views the user's interface declares.
 */
public final class ModelWriter {

    private static final String INDENT = "    ";
    /** Entries per method of a long parameter table: about 35 bytes of bytecode each, so ~1 KB per method. */
    private static final int TABLE_PART = 32;
    /** Block calls per method of a long stage: about 6 bytes of bytecode each, so ~400 bytes per method. */
    private static final int BLOCK_GROUP = 64;

    private final ModelSpec spec;
    private final MemoryPlan plan;
    private final Graph graph;
    private final Symbols symbols;
    private final ClassName className;
    private final Backprop backprop;

    public ModelWriter(ModelSpec spec, MemoryPlan plan) {
        this.spec = spec;
        this.plan = plan;
        this.graph = plan.graph();
        this.symbols = new Symbols(plan);
        this.backprop = new Backprop(plan);
        ClassName model = ClassName.get(spec.element());
        String simple = spec.className().isEmpty() ? String.join("_", model.simpleNames()) + "Net" : spec.className();
        this.className = ClassName.get(model.packageName(), simple);
    }

    /** The generated class's name. */
    public ClassName className() {
        return className;
    }

    public void write(Filer filer) throws IOException {
        javaFile().writeTo(filer);
    }

    /** The whole source file. */
    public JavaFile javaFile() {
        TypeSpec.Builder type = TypeSpec.classBuilder(className)
                .addOriginatingElement(spec.element())
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .superclass(Symbols.COMPILED_MODEL)
                .addSuperinterface(ClassName.get(spec.element()))
                .addAnnotation(AnnotationSpec.builder(ClassName.get("javax.annotation.processing", "Generated"))
                        .addMember("value", "$S", ResidualProcessor.class.getName()).build())
                .addJavadoc(Javadocs.model(spec, plan));
        shapeConstants(type);
        memoryConstants(type);
        parameterTable(type);
        type.addField(layerTable());
        constructors(type);
        if (graph.input().shape().sequence()) {
            new SequenceEntryPoints(graph, symbols).addTo(type);
        } else {
            forward(type);
            if (!graph.output().shape().image()) {
                train(type);
            } else if (spec.pixelLoss()) {
                pixelTrain(type);
            }
        }
        layerMethods(type);
        views(type);
        return JavaFile.builder(className.packageName(), type.build())
                .indent(INDENT)
                .skipJavaLangImports(true)
                .build();
    }

    private void shapeConstants(TypeSpec.Builder type) {
        type.addField(intConstant("BATCH", graph.batch(), "The largest batch a call may pass."));
        Shape in = graph.input().shape(), out = graph.output().shape();
        type.addField(intConstant("INPUT_SIZE", (int) in.size(),
                "Floats per input sample: " + (in.sequence() ? Javadocs.tokens(in) : in) + "."));
        type.addField(intConstant("OUTPUT_SIZE", (int) out.size(), "Floats per output sample: " + out + "."));
        if (in.sequence()) { // a sequence model reads one token id per position
            type.addField(intConstant("INPUT_FEATURES", in.channels(), "The input's values per position: 1, a token id "
                    + "(the input holds " + Javadocs.tokens(in) + ")."));
        } else {
            shape(type, "INPUT", "The input's", in);
        }
        for (Graph.Layer layer : graph.layers()) {
            shape(type, Names.constant(layer.name()), "Layer {@code " + layer.name() + "}'s output",
                    layer.output().shape());
        }
    }

    /** The constants of one shape, each with a line of Javadoc that names its owner and gives the whole shape. */
    private void shape(TypeSpec.Builder type, String prefix, String owner, Shape shape) {
        if (shape.image()) {
            String whole = " (" + shape + ").";
            type.addField(intConstant(prefix + "_CHANNELS", shape.channels(), owner + " channels" + whole));
            type.addField(intConstant(prefix + "_HEIGHT", shape.height(), owner + " height" + whole));
            type.addField(intConstant(prefix + "_WIDTH", shape.width(), owner + " width" + whole));
        } else {
            type.addField(intConstant(prefix + "_FEATURES", shape.channels(), owner
                    + (shape.sequence() ? " features per position (" : " features (") + shape + ")."));
        }
    }

    private void memoryConstants(TypeSpec.Builder type) {
        long trainable = graph.params().stream().filter(Param::trainable).mapToLong(Param::size).sum();
        type.addField(longConstant("PARAMETER_COUNT", trainable, "Trainable parameters.", Modifier.PUBLIC));
        type.addField(longConstant("PARAMETER_FLOATS", plan.parameterFloats(),
                "Size of the parameter block (and of the gradient block), in floats.", Modifier.PUBLIC));
        type.addField(longConstant("BUFFER_FLOATS", plan.bufferFloats(),
                "Size of the buffer block (running statistics), in floats.", Modifier.PUBLIC));

        for (Param param : graph.params()) {
            type.addField(longConstant(Symbols.constant(param), plan.offset(param), null, Modifier.PRIVATE));
        }
        Set<String> seen = new LinkedHashSet<>();
        for (Value value : plan.activations().keySet()) {
            String name = symbols.constant(value);
            if (seen.add(name)) {
                type.addField(longConstant(name, plan.offset(value), null, Modifier.PRIVATE));
            }
        }
        Set<String> gradientNames = new LinkedHashSet<>();
        for (Value value : plan.gradients().keySet()) {
            String name = symbols.gradientConstant(value);
            if (gradientNames.add(name)) {
                type.addField(longConstant(name, plan.gradients().get(value), null, Modifier.PRIVATE));
            }
        }
        for (var saved : plan.saved().entrySet()) {
            long floats = (plan.savedFloats(saved.getKey()) + 15) / 16 * 16;
            type.addField(longConstant(Symbols.savedConstant(saved.getKey(), "MEAN"), saved.getValue(), null,
                    Modifier.PRIVATE));
            type.addField(longConstant(Symbols.savedConstant(saved.getKey(), "RSTD"), saved.getValue() + floats, null,
                    Modifier.PRIVATE));
        }
        type.addField(longConstant("SCRATCH", plan.scratchOffset(), null, Modifier.PRIVATE));
        type.addField(longConstant("STAGED_INPUT", plan.stagedInput(), null, Modifier.PRIVATE));
        type.addField(longConstant("STAGED_OUTPUT", plan.stagedOutput(), null, Modifier.PRIVATE));
        type.addField(FieldSpec.builder(long.class, "ACTIVATION_FLOATS", Modifier.PUBLIC, Modifier.STATIC,
                        Modifier.FINAL)
                .addJavadoc(graph.input().shape().sequence()
                        ? "Size of the activation block, scratch included, in floats. The scratch ($L floats) holds\n"
                                + "the attention scores of one sequence and head and their gradient, or a layer norm's\n"
                                + "two sums per position in its backward.\n"
                        : "Size of the activation block, scratch included, in floats. The scratch is the largest of\n"
                                + "what the dense layers need ($L floats) and what each convolution's kernel asks for.\n",
                        plan.scratchFloats())
                .initializer(scratchSize()).build());
    }

    /** {@code SCRATCH + max(planned, Conv2d.scratchSize(...) of every convolution)}, rounded up to 64 bytes. */
    private CodeBlock scratchSize() {
        CodeBlock size = CodeBlock.of("$LL", plan.scratchFloats());
        for (Step step : plan.steps()) {
            if (step.head().op() instanceof Op.Conv conv) {
                Shape in = step.head().input().shape();
                size = CodeBlock.of("$T.max($L,\n$T.scratchSize($L, $L, $L, $L, $L, $L, $L, BATCH))", Math.class, size,
                        Symbols.kernel("Conv2d"), in.channels(), in.height(), in.width(), conv.filters(),
                        conv.kernel(), conv.stride(), conv.padding());
            } else if (step.head().op() instanceof Op.ConvTranspose conv) {
                Shape in = step.head().input().shape();
                size = CodeBlock.of("$T.max($L,\n$T.scratchSize($L, $L, $L, $L, $L, $L, $L, BATCH))", Math.class, size,
                        Symbols.kernel("ConvTranspose2d"), in.channels(), in.height(), in.width(), conv.filters(),
                        conv.kernel(), conv.stride(), conv.padding());
            }
        }
        return CodeBlock.of("SCRATCH + ($L + 15) / 16 * 16", size);
    }

    /**
     * The parameter table {@code PARAMETERS}: one {@code List.of(...)} when it is short; for a deep model, built by
     * methods of {@value #TABLE_PART} entries each, because one initializer of thousands of entries would pass the
     * class file's 64 KiB limit on a method (the static initializer included).
     */
    private void parameterTable(TypeSpec.Builder type) {
        List<Param> params = graph.params();
        FieldSpec.Builder field = FieldSpec.builder(listOf(Symbols.PARAMETER_SPEC), "PARAMETERS", Modifier.PRIVATE,
                Modifier.STATIC, Modifier.FINAL);
        if (params.size() <= TABLE_PART) {
            CodeBlock.Builder list = CodeBlock.builder().add("$T.of(\n", List.class).indent();
            for (int i = 0; i < params.size(); i++) {
                list.add("$L$L\n", parameterSpec(params.get(i)), i + 1 < params.size() ? "," : "");
            }
            type.addField(field.initializer(list.unindent().add(")").build()).build());
            return;
        }
        type.addField(field.initializer("parameterTable()").build());
        MethodSpec.Builder table = MethodSpec.methodBuilder("parameterTable")
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                .returns(listOf(Symbols.PARAMETER_SPEC))
                .addJavadoc("The $L entries of {@link #PARAMETERS}, built in parts of $L.\n", params.size(), TABLE_PART)
                .addStatement("$T<$T> table = new $T<>($L)", List.class, Symbols.PARAMETER_SPEC, ArrayList.class,
                        params.size());
        for (int first = 0; first < params.size(); first += TABLE_PART) {
            String part = "parameterTable" + first / TABLE_PART;
            MethodSpec.Builder method = MethodSpec.methodBuilder(part)
                    .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                    .addParameter(listOf(Symbols.PARAMETER_SPEC), "table");
            for (Param param : params.subList(first, Math.min(first + TABLE_PART, params.size()))) {
                method.addStatement("table.add($L)", parameterSpec(param));
            }
            type.addMethod(method.build());
            table.addStatement("$N(table)", part);
        }
        type.addMethod(table.addStatement("return $T.copyOf(table)", List.class).build());
    }

    private static CodeBlock parameterSpec(Param param) {
        return CodeBlock.of("new $T($S, new int[] {$L}, $T.Init.$L, $L, $L, $N)", Symbols.PARAMETER_SPEC,
                param.name(), join(param.shape()), Symbols.PARAMETER_SPEC, param.init(), param.fanIn(),
                param.trainable(), Symbols.constant(param));
    }

    private FieldSpec layerTable() {
        CodeBlock.Builder list = CodeBlock.builder().add("$T.of(\n", List.class).indent();
        List<Graph.Layer> layers = graph.layers();
        for (int i = 0; i < layers.size(); i++) {
            Graph.Layer layer = layers.get(i);
            list.add("new $T($S, new int[] {$L}, $N)$L\n", Symbols.LAYER_SPEC, layer.name(),
                    join(layer.output().shape().dims()), symbols.constant(layer.output()),
                    i + 1 < layers.size() ? "," : "");
        }
        list.unindent().add(")");
        return FieldSpec.builder(listOf(Symbols.LAYER_SPEC), "LAYERS", Modifier.PRIVATE, Modifier.STATIC,
                Modifier.FINAL).initializer(list.build()).build();
    }

    private void constructors(TypeSpec.Builder type) {
        type.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
                .addJavadoc("A model on the default GEMM backend, initialized as PyTorch would be after "
                        + "{@code torch.manual_seed(0)}.\n")
                .addStatement("this($T.defaultGemm(), 0L)", Symbols.BACKENDS).build());
        type.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PUBLIC)
                .addJavadoc("A model on the given backend, with the initial weights PyTorch gives the same layers after "
                        + "{@code torch.manual_seed(seed)} (Kaiming-uniform weights, unit norms).\n")
                .addParameter(Symbols.GEMM, "gemm")
                .addParameter(long.class, "seed")
                .addStatement("super(gemm, BATCH, PARAMETER_FLOATS, BUFFER_FLOATS, ACTIVATION_FLOATS, PARAMETERS, "
                        + "LAYERS)")
                .addStatement("initialize(seed)")
                .build());
    }

    /**
     * The private {@code run(n, input, inputOffset, output, outputOffset, training)} every public forward and train
     * step calls, without its body: the layout conversions around the layer calls differ by kind of model.
     */
    static MethodSpec.Builder runMethod(String javadoc) {
        return MethodSpec.methodBuilder("run").addModifiers(Modifier.PRIVATE)
                .addJavadoc(javadoc)
                .addParameter(int.class, "n")
                .addParameter(Symbols.MEMORY_SEGMENT, "input")
                .addParameter(long.class, "inputOffset")
                .addParameter(Symbols.MEMORY_SEGMENT, "output")
                .addParameter(long.class, "outputOffset")
                .addParameter(boolean.class, "training")
                .addComment("a small batch's pass is many short parallel calls: the band threads stay ready between them")
                .addStatement("gemm.holdBands()")
                .beginControlFlow("try");
    }

    /** Closes a {@link #runMethod}'s body: the band threads are released however the pass ends. */
    static MethodSpec endRun(MethodSpec.Builder run) {
        return run.nextControlFlow("finally")
                .addStatement("gemm.releaseBands()")
                .endControlFlow()
                .build();
    }

    private void forward(TypeSpec.Builder type) {
        Shape in = graph.input().shape(), out = graph.output().shape();
        forwardMethods(type, Javadocs.forward(in, out), "samples");
        MethodSpec.Builder run = runMethod("The forward pass on checked arguments; offsets count floats. In training, "
                + "norms use batch statistics.\n")
                .addStatement("$T.nchwToChannelMajor(input, inputOffset, $L, $L, $L, n, $L)",
                        Symbols.kernel("Layout"), in.channels(), in.height(), in.width(),
                        symbols.tensor(graph.input()));
        for (Graph.Layer layer : graph.layers()) {
            run.addStatement("$N(n, training)", forwardName(layer.name()));
        }
        run.beginControlFlow("if (output != null)")
                .addStatement("$T.channelMajorToNchw($L, $L, $L, $L, n, output, outputOffset)",
                        Symbols.kernel("Layout"), symbols.tensor(graph.output()), out.channels(), out.height(),
                        out.width())
                .endControlFlow();
        run.addStatement("lastBatch = n");
        type.addMethod(endRun(run));
    }

    /**
     * The two public {@code forward}s (off-heap and array input), for every kind of model; both call {@code run}.
     *
     * @param unit what {@code n} counts, for the Javadoc ({@code samples}, {@code sequences})
     */
    static void forwardMethods(TypeSpec.Builder type, CodeBlock javadoc, String unit) {
        type.addMethod(MethodSpec.methodBuilder("forward").addModifiers(Modifier.PUBLIC)
                .addJavadoc(javadoc)
                .addParameter(int.class, "n")
                .addParameter(Symbols.MEMORY_SEGMENT, "input")
                .addParameter(Symbols.MEMORY_SEGMENT, "output")
                .addStatement("checkBatch(n)")
                .addStatement("checkSize($S, input, (long) n * INPUT_SIZE)", "input")
                .addStatement("checkSize($S, output, (long) n * OUTPUT_SIZE)", "output")
                .addStatement("run(n, input, 0L, output, 0L, false)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("forward").addModifiers(Modifier.PUBLIC)
                .addJavadoc("Runs the network on {@code n} " + unit + " held in arrays; see "
                        + "{@link #forward(int, MemorySegment, MemorySegment)}.\n")
                .addParameter(int.class, "n")
                .addParameter(float[].class, "input")
                .addParameter(float[].class, "output")
                .addStatement("checkBatch(n)")
                .addStatement("checkSize($S, input, (long) n * INPUT_SIZE)", "input")
                .addStatement("checkSize($S, output, (long) n * OUTPUT_SIZE)", "output")
                .addComment("staged through the activation block: copying between arrays and segments allocates "
                        + "nothing")
                .addStatement("$T.copy(input, 0, activations, $T.JAVA_FLOAT, STAGED_INPUT * Float.BYTES, "
                        + "n * INPUT_SIZE)", Symbols.MEMORY_SEGMENT, Symbols.VALUE_LAYOUT)
                .addStatement("run(n, activations, STAGED_INPUT, activations, STAGED_OUTPUT, false)")
                .addStatement("$T.copy(activations, $T.JAVA_FLOAT, STAGED_OUTPUT * Float.BYTES, output, 0, "
                        + "n * OUTPUT_SIZE)", Symbols.MEMORY_SEGMENT, Symbols.VALUE_LAYOUT)
                .build());
    }

    /** {@code trainStep}: forward in training mode, softmax cross-entropy, backward, optimizer update. */
    private void train(TypeSpec.Builder type) {
        Shape in = graph.input().shape(), out = graph.output().shape();
        trainMethods(type, graph, symbols, Javadocs.trainStep(in, out), "samples", "n, OUTPUT_SIZE",
                CodeBlock.of("$L", out.channels()), "n", "n", null);
    }

    /**
     * {@code trainStep} of a segmentation model ({@code Loss.PIXEL_CROSS_ENTROPY}): the output's {@code C×(n·H·W)}
     * channel-major scores are {@code n·H·W} columns of class scores, one per pixel in the order of the labels, so
     * the loss is the softmax cross-entropy over those columns; the layers' backward still runs on {@code n} samples.
     */
    private void pixelTrain(TypeSpec.Builder type) {
        Shape in = graph.input().shape(), out = graph.output().shape();
        trainMethods(type, graph, symbols, Javadocs.pixelTrainStep(in, out), "samples",
                "n * " + out.spatial() + ", " + out.channels(), CodeBlock.of("$L", out.channels()), "pixels", "n",
                "int pixels = n * " + out.spatial());
    }

    /**
     * The two public {@code trainStep}s (array and off-heap input) and the private {@code train} they share, for
     * image and vector models and for sequence models alike; only what a row of the loss is differs.
     *
     * @param unit          what {@code n} counts, for the Javadoc ({@code samples}, {@code sequences})
     * @param labelArgs     the label count and class count {@code checkLabels} is given
     * @param classes       the class count of the loss
     * @param rows          the loss rows (columns of class scores)
     * @param columns       what every layer's backward is called with: the samples, or a sequence's positions
     * @param rowsStatement the statement that declares {@code rows}, or null when it is {@code n}
     */
    static void trainMethods(TypeSpec.Builder type, Graph graph, Symbols symbols, CodeBlock javadoc, String unit,
                             String labelArgs, CodeBlock classes, String rows, String columns, String rowsStatement) {
        type.addMethod(MethodSpec.methodBuilder("trainStep").addModifiers(Modifier.PUBLIC)
                .returns(float.class)
                .addJavadoc(javadoc)
                .addParameter(int.class, "n")
                .addParameter(float[].class, "input")
                .addParameter(int[].class, "labels")
                .addStatement("checkBatch(n)")
                .addStatement("checkSize($S, input, (long) n * INPUT_SIZE)", "input")
                .addStatement("checkLabels(labels, " + labelArgs + ")")
                .addStatement("$T.copy(input, 0, activations, $T.JAVA_FLOAT, STAGED_INPUT * Float.BYTES, "
                        + "n * INPUT_SIZE)", Symbols.MEMORY_SEGMENT, Symbols.VALUE_LAYOUT)
                .addStatement("return train(n, activations, STAGED_INPUT, labels)")
                .build());
        type.addMethod(MethodSpec.methodBuilder("trainStep").addModifiers(Modifier.PUBLIC)
                .returns(float.class)
                .addJavadoc("One training step on {@code n} " + unit + " in off-heap memory; see "
                        + "{@link #trainStep(int, float[], int[])}.\n")
                .addParameter(int.class, "n")
                .addParameter(Symbols.MEMORY_SEGMENT, "input")
                .addParameter(int[].class, "labels")
                .addStatement("checkBatch(n)")
                .addStatement("checkSize($S, input, (long) n * INPUT_SIZE)", "input")
                .addStatement("checkLabels(labels, " + labelArgs + ")")
                .addStatement("return train(n, input, 0L, labels)")
                .build());
        MethodSpec.Builder train = MethodSpec.methodBuilder("train").addModifiers(Modifier.PRIVATE)
                .returns(float.class)
                .addJavadoc("The training step on checked arguments.\n")
                .addParameter(int.class, "n")
                .addParameter(Symbols.MEMORY_SEGMENT, "input")
                .addParameter(long.class, "inputOffset")
                .addParameter(int[].class, "labels")
                .addStatement("beginStep()")
                .addStatement("run(n, input, inputOffset, null, 0L, true)");
        if (rowsStatement != null) {
            train.addStatement(rowsStatement);
        }
        train.addStatement("float loss = crossEntropy($L, $L, $L, labels, $L)", symbols.tensor(graph.output()),
                classes, rows, symbols.gradient(graph.output()));
        List<Graph.Layer> layers = graph.layers();
        for (int i = layers.size() - 1; i >= 0; i--) {
            train.addStatement("$N($L)", backwardName(layers.get(i).name()), columns);
        }
        train.addStatement("return update(loss)");
        type.addMethod(train.build());
    }

    /**
     * One private forward and one backward method per layer method; a residual stage gets one of each per block,
     * called in order (backward: in reverse).
     */
    private void layerMethods(TypeSpec.Builder type) {
        for (Graph.Layer layer : graph.layers()) {
            MethodSpec.Builder forward = layerMethod(forwardName(layer.name()), Javadocs.layer(graph, layer), true);
            MethodSpec.Builder backward = layerMethod(backwardName(layer.name()), Javadocs.layer(graph, layer), false);
            if (layer.blocks().isEmpty()) {
                forward.addCode(forwardSteps(layer.nodes()));
                backward.addCode(backwardSteps(layer.nodes()));
            } else {
                int blocks = layer.blocks().size();
                for (int i = 0; i < blocks; i++) {
                    List<Node> block = layer.blocks().get(i);
                    String name = layer.name() + "Block" + i;
                    type.addMethod(layerMethod(forwardName(name), Javadocs.block(layer, i, block), true)
                            .addCode(forwardSteps(block)).build());
                    type.addMethod(layerMethod(backwardName(name), Javadocs.block(layer, i, block), false)
                            .addCode(backwardSteps(block)).build());
                }
                if (blocks <= BLOCK_GROUP) {
                    blockCalls(forward, backward, layer.name(), 0, blocks);
                } else {
                    blockGroups(type, forward, backward, layer, blocks);
                }
            }
            type.addMethod(forward.build());
            type.addMethod(backward.build());
        }
    }

    /** The calls of blocks {@code [from, to)}: forward in order, backward in reverse. */
    private static void blockCalls(MethodSpec.Builder forward, MethodSpec.Builder backward, String layer, int from,
                                   int to) {
        for (int i = from; i < to; i++) {
            forward.addStatement("$N(n, training)", forwardName(layer + "Block" + i));
        }
        for (int i = to - 1; i >= from; i--) {
            backward.addStatement("$N(n)", backwardName(layer + "Block" + i));
        }
    }

    /** A long stage calls its blocks through methods of {@value #BLOCK_GROUP} calls each. */
    private static void blockGroups(TypeSpec.Builder type, MethodSpec.Builder forward, MethodSpec.Builder backward,
                                    Graph.Layer layer, int blocks) {
        List<String> groups = new ArrayList<>();
        for (int from = 0; from < blocks; from += BLOCK_GROUP) {
            int to = Math.min(from + BLOCK_GROUP, blocks);
            String group = layer.name() + "Blocks" + from + "To" + (to - 1);
            CodeBlock doc = CodeBlock.of("Blocks $L to $L of {@code $L}.\n", from, to - 1, layer.name());
            MethodSpec.Builder groupForward = layerMethod(forwardName(group), doc, true);
            MethodSpec.Builder groupBackward = layerMethod(backwardName(group), doc, false);
            blockCalls(groupForward, groupBackward, layer.name(), from, to);
            type.addMethod(groupForward.build());
            type.addMethod(groupBackward.build());
            forward.addStatement("$N(n, training)", forwardName(group));
            groups.add(group);
        }
        for (int i = groups.size() - 1; i >= 0; i--) {
            backward.addStatement("$N(n)", backwardName(groups.get(i)));
        }
    }

    private static MethodSpec.Builder layerMethod(String name, CodeBlock doc, boolean forward) {
        MethodSpec.Builder method = MethodSpec.methodBuilder(name).addModifiers(Modifier.PRIVATE)
                .addJavadoc(forward ? doc : CodeBlock.of("Backward of: $L", doc))
                .addParameter(int.class, "n");
        if (forward) {
            method.addParameter(boolean.class, "training");
        }
        return method;
    }

    /** The forward statements of the steps whose head is among the given nodes. */
    private CodeBlock forwardSteps(List<Node> nodes) {
        CodeBlock.Builder code = CodeBlock.builder();
        for (Step step : plan.steps()) {
            if (nodes.contains(step.head())) {
                code.add("// $L: $L\n", step.head().path(), describe(step));
                code.add(OpEmitter.of(step.head().op()).forward(step, symbols));
            }
        }
        return code.build();
    }

    /**
     * The backward statements of those steps, last step first: undo the fused ReLU (mask the gradient in place), then
     * the head op's own backward. A batch norm undoes a fused ReLU and residual add in its own kernel.
     */
    private CodeBlock backwardSteps(List<Node> nodes) {
        CodeBlock.Builder code = CodeBlock.builder();
        List<Step> steps = plan.steps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            Step step = steps.get(i);
            if (!nodes.contains(step.head())) {
                continue;
            }
            code.add("// $L: $L\n", step.head().path(), describe(step));
            Shape shape = step.output().shape();
            if (step.fusedOf(Op.Relu.class) != null && !(step.head().op() instanceof Op.BatchNorm)) {
                code.addStatement("$T.reluBackward($L, $L, $L, $L, n, $L, false)", Symbols.kernel("Activations"),
                        symbols.tensor(step.output()), symbols.gradient(step.output()), shape.channels(),
                        shape.spatial(), symbols.gradient(step.output()));
            }
            code.add(OpEmitter.of(step.head().op()).backward(step, symbols, backprop));
        }
        return code.build();
    }

    private static String describe(Step step) {
        List<String> parts = new ArrayList<>();
        parts.add(step.head().op().describe(step.head().input().shape(), step.head().output().shape()));
        for (Node fused : step.fused()) {
            parts.add(fused.op().describe(fused.input().shape(), fused.output().shape()));
        }
        return String.join(" + ", parts);
    }

    private void views(TypeSpec.Builder type) {
        List<Graph.Layer> layers = graph.layers();
        for (int i = 0; i < layers.size(); i++) {
            type.addMethod(MethodSpec.methodBuilder(layers.get(i).name())
                    .addAnnotation(Override.class)
                    .addModifiers(Modifier.PUBLIC)
                    .returns(Symbols.LAYER)
                    .addStatement("return layer($L)", i)
                    .build());
        }
    }

    static String forwardName(String layer) {
        return Names.identifier(layer) + "Forward";
    }

    static String backwardName(String layer) {
        return Names.identifier(layer) + "Backward";
    }

    private static FieldSpec intConstant(String name, int value, String doc) {
        FieldSpec.Builder field = FieldSpec.builder(int.class, name, Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
                .initializer("$L", value);
        if (doc != null) {
            field.addJavadoc(doc + "\n");
        }
        return field.build();
    }

    private static FieldSpec longConstant(String name, long value, String doc, Modifier visibility) {
        FieldSpec.Builder field = FieldSpec.builder(long.class, name, visibility, Modifier.STATIC, Modifier.FINAL)
                .initializer("$LL", value);
        if (doc != null) {
            field.addJavadoc(doc + "\n");
        }
        return field.build();
    }

    private static com.palantir.javapoet.ParameterizedTypeName listOf(ClassName element) {
        return com.palantir.javapoet.ParameterizedTypeName.get(ClassName.get(List.class), element);
    }

    private static String join(int[] values) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            text.append(i == 0 ? "" : ", ").append(values[i]);
        }
        return text.toString();
    }
}
