package dev.residual.samples.differential;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A randomly drawn valid U-Net with the per-pixel loss, and its source: one or two encoder levels (a convolution with
 * any norm and activation, then max or average pooling), a bottom convolution, and per level on the way up either a
 * transposed convolution (2×2 stride 2, or 4×4 stride 2 padding 1, sometimes followed by a norm and an activation)
 * or a nearest upsampling, the concatenated skip from that level's encoder, and a decoder convolution; a 1×1
 * convolution gives the class scores.
 */
record DrawnUNet(int channels, int size, int batch, List<Level> levels, Conv bottom, int classes) {

    /** A convolution of the encoder or decoder: filters, kernel (padded to keep the size), norm, activation. */
    record Conv(int filters, int kernel, String norm, String activation) {
        String source(String name) {
            return "@Conv(filters = " + filters + ", kernel = " + kernel + ", padding = " + kernel / 2 + ") "
                    + DrawnModel.norm(norm, filters) + DrawnModel.activation(activation) + "Layer " + name + "();";
        }
    }

    /** One level: its encoder, pooling, the way up ({@code UPSAMPLE}, {@code K2}, {@code K4}) and its decoder. */
    record Level(Conv encoder, String pool, String up, int upFilters, String upNorm, String upActivation,
                 Conv decoder) {}

    static DrawnUNet draw(RandomGenerator random) {
        List<Level> levels = new ArrayList<>();
        for (int i = random.nextInt(1, 3); i > 0; i--) {
            levels.add(new Level(conv(random), DrawnModel.pick(random, List.of("MAX", "AVERAGE")),
                    DrawnModel.pick(random, List.of("UPSAMPLE", "K2", "K4")), random.nextInt(2, 7),
                    DrawnModel.pick(random, DrawnModel.NORMS), DrawnModel.pick(random, DrawnModel.ACTIVATIONS),
                    conv(random)));
        }
        // divisible by 2 per level: 4, 8 or 12 pixels at the bottom of two levels
        int size = (1 << levels.size()) * random.nextInt(2, 6);
        return new DrawnUNet(random.nextInt(1, 4), size, random.nextInt(2, 5), List.copyOf(levels), conv(random),
                random.nextInt(2, 6));
    }

    private static Conv conv(RandomGenerator random) {
        return new Conv(random.nextInt(2, 7), DrawnModel.pick(random, 1, 3), DrawnModel.pick(random, DrawnModel.NORMS),
                DrawnModel.pick(random, DrawnModel.ACTIVATIONS));
    }

    String source(String packageName, String name) {
        List<String> lines = new ArrayList<>();
        lines.add("package " + packageName + ";");
        lines.add("import dev.residual.dsl.*;");
        lines.add("import dev.residual.runtime.Layer;");
        lines.add("@Model(input = {" + channels + ", " + size + ", " + size + "}, batch = " + batch
                + ", loss = Loss.PIXEL_CROSS_ENTROPY)");
        lines.add("public interface " + name + " {");
        for (int i = 0; i < levels.size(); i++) {
            Level level = levels.get(i);
            lines.add("    " + level.encoder().source("enc" + i));
            lines.add("    @Pool(value = PoolKind." + level.pool() + ", size = 2) Layer down" + i + "();");
        }
        lines.add("    " + bottom.source("bottom"));
        for (int i = levels.size() - 1; i >= 0; i--) {
            Level level = levels.get(i);
            String after = DrawnModel.norm(level.upNorm(), level.upFilters())
                    + DrawnModel.activation(level.upActivation());
            lines.add("    " + switch (level.up()) {
                case "UPSAMPLE" -> "@Upsample(scale = 2) ";
                case "K2" -> "@ConvTranspose(filters = " + level.upFilters() + ", kernel = 2, stride = 2) " + after;
                default -> "@ConvTranspose(filters = " + level.upFilters() + ", kernel = 4, stride = 2, padding = 1) "
                        + after;
            } + "Layer up" + i + "();");
            lines.add("    @Concat(\"enc" + i + "\") Layer cat" + i + "();");
            lines.add("    " + level.decoder().source("dec" + i));
        }
        lines.add("    @Conv(filters = " + classes + ", kernel = 1) Layer logits();");
        lines.add("}");
        return String.join("\n", lines) + "\n";
    }
}
