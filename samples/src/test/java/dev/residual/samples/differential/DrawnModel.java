package dev.residual.samples.differential;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A randomly drawn valid model, and its source: a stem convolution (any kernel, stride, norm, activation), an
 * optional pooling, residual stages (widths, strides, repeats, kernel, shortcut kind, norm, activation after the
 * add), then a head of global pooling or flattening, an optional hidden dense layer and the class scores.
 */
record DrawnModel(int channels, int size, int batch, Stem stem, String pool, List<Stage> stages, Head head) {

    /** Norms as the DSL spells them; {@code NONE} leaves the norm out (the convolution then gets a bias). */
    static final List<String> NORMS = List.of("BATCH", "GROUP", "LAYER", "NONE");
    /** Activations of a layer; {@code GELU_TANH} is {@code @Gelu(tanh = true)}. */
    static final List<String> ACTIVATIONS = List.of("RELU", "GELU", "GELU_TANH", "NONE");
    /** Activations after a residual add, as {@code @Residual(activation = ...)} spells them. */
    static final List<String> ADD_ACTIVATIONS = List.of("RELU", "GELU", "NONE");
    static final List<String> POOLS = List.of("NONE", "MAX", "AVERAGE");

    record Stem(int filters, int kernel, int stride, String norm, String activation) {}

    record Stage(int filters, int stride, int repeat, int kernel, String shortcut, String norm, String activation) {}

    record Head(boolean globalPool, int hidden, boolean hiddenNorm, String hiddenActivation, int classes) {}

    /**
     * Draws a model: every choice uniform over the listed values, 1 to 3 stages. Every drawn model is valid (the
     * spatial size, 5 to 10, survives any stem stride, pooling and two stride-2 stages).
     */
    static DrawnModel draw(RandomGenerator random) {
        Stem stem = new Stem(random.nextInt(2, 7), pick(random, 1, 3, 5), pick(random, 1, 2), pick(random, NORMS),
                pick(random, ACTIVATIONS));
        List<Stage> stages = new ArrayList<>();
        for (int i = random.nextInt(1, 4); i > 0; i--) {
            stages.add(new Stage(pick(random, 2, 4, 6, 8), pick(random, 1, 2), random.nextInt(1, 3),
                    pick(random, 1, 3), pick(random, List.of("AUTO", "PROJECTION")), pick(random, NORMS),
                    pick(random, ADD_ACTIVATIONS)));
        }
        Head head = new Head(random.nextBoolean(), pick(random, 0, 5), random.nextBoolean(),
                pick(random, ACTIVATIONS), random.nextInt(2, 6));
        return new DrawnModel(random.nextInt(1, 4), random.nextInt(5, 11), random.nextInt(2, 6), stem,
                pick(random, POOLS), List.copyOf(stages), head);
    }

    static int pick(RandomGenerator random, int... values) {
        return values[random.nextInt(values.length)];
    }

    static String pick(RandomGenerator random, List<String> values) {
        return values.get(random.nextInt(values.size()));
    }

    String source(String packageName, String name) {
        List<String> lines = new ArrayList<>();
        lines.add("package " + packageName + ";");
        lines.add("import dev.residual.dsl.*;");
        lines.add("import dev.residual.runtime.Layer;");
        lines.add("@Model(input = {" + channels + ", " + size + ", " + size + "}, batch = " + batch + ")");
        lines.add("public interface " + name + " {");
        lines.add("    @Conv(filters = " + stem.filters() + ", kernel = " + stem.kernel() + ", stride = "
                + stem.stride() + ", padding = " + stem.kernel() / 2 + ") " + norm(stem.norm(), stem.filters())
                + activation(stem.activation()) + "Layer stem();");
        switch (pool) {
            case "MAX" -> lines.add("    @Pool(value = PoolKind.MAX, size = 3, stride = 2, padding = 1) Layer down();");
            case "AVERAGE" -> lines.add("    @Pool(value = PoolKind.AVERAGE, size = 2) Layer down();");
            default -> { }
        }
        for (int i = 0; i < stages.size(); i++) {
            Stage stage = stages.get(i);
            lines.add("    @Residual(block = Block" + i + ".class, repeat = " + stage.repeat() + ", filters = "
                    + stage.filters() + ", stride = " + stage.stride() + ", shortcut = Shortcut." + stage.shortcut()
                    + ", activation = Activation." + stage.activation() + ") Layer stage" + i + "();");
        }
        if (head.globalPool()) {
            lines.add("    @Pool(PoolKind.GLOBAL_AVERAGE) Layer pool();");
        }
        if (head.hidden() > 0) {
            lines.add("    @Dense(units = " + head.hidden() + ") " + (head.hiddenNorm() ? "@Norm(kind = NormKind.LAYER) "
                    : "") + activation(head.hiddenActivation()) + "Layer hidden();");
        }
        lines.add("    @Dense(units = " + head.classes() + ") Layer logits();");
        for (int i = 0; i < stages.size(); i++) {
            Stage stage = stages.get(i);
            String conv = "@Conv(kernel = " + stage.kernel() + ", padding = " + stage.kernel() / 2;
            lines.add("    @Block interface Block" + i + " {");
            lines.add("        " + conv + ", stride = Conv.BLOCK) " + norm(stage.norm(), stage.filters())
                    + "@Relu Layer conv1();");
            lines.add("        " + conv + ") " + norm(stage.norm(), stage.filters()) + "Layer conv2();");
            lines.add("    }");
        }
        lines.add("}");
        return String.join("\n", lines) + "\n";
    }

    static String norm(String kind, int channels) {
        return switch (kind) {
            case "BATCH" -> "@Norm ";
            case "LAYER" -> "@Norm(kind = NormKind.LAYER) ";
            case "GROUP" -> "@Norm(kind = NormKind.GROUP, groups = " + (channels % 2 == 0 ? 2 : 1) + ") ";
            default -> "";
        };
    }

    static String activation(String kind) {
        return switch (kind) {
            case "RELU" -> "@Relu ";
            case "GELU" -> "@Gelu ";
            case "GELU_TANH" -> "@Gelu(tanh = true) ";
            default -> "";
        };
    }
}
