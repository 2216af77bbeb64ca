package dev.residual.samples.segmentation;

import dev.residual.dsl.Concat;
import dev.residual.dsl.Conv;
import dev.residual.dsl.ConvTranspose;
import dev.residual.dsl.Loss;
import dev.residual.dsl.Model;
import dev.residual.dsl.Norm;
import dev.residual.dsl.Pool;
import dev.residual.dsl.PoolKind;
import dev.residual.dsl.Relu;
import dev.residual.dsl.Upsample;
import dev.residual.runtime.Layer;

/**
 * A small U-Net for the {@link Shapes} task: 32×32 grey images in, a score per class ({@link Shapes#CLASSES}) at every
 * pixel out. Two levels down by max pooling (32 → 16 → 8), back up once by a learned transposed convolution and once
 * by nearest upsampling, each followed by the encoder feature of the same size, concatenated.
 */
@Model(input = {1, 32, 32}, batch = 16, loss = Loss.PIXEL_CROSS_ENTROPY)
public interface UNet {
    @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu Layer enc1();          // 16×32×32

    @Pool(value = PoolKind.MAX, size = 2) Layer down1();                            // 16×16×16

    @Conv(filters = 32, kernel = 3, padding = 1) @Norm @Relu Layer enc2();          // 32×16×16

    @Pool(value = PoolKind.MAX, size = 2) Layer down2();                            // 32×8×8

    @Conv(filters = 64, kernel = 3, padding = 1) @Norm @Relu Layer bottom();        // 64×8×8

    @ConvTranspose(filters = 32, kernel = 2, stride = 2) Layer up2();               // 32×16×16

    @Concat("enc2") Layer cat2();                                                   // 64×16×16

    @Conv(filters = 32, kernel = 3, padding = 1) @Norm @Relu Layer dec2();          // 32×16×16

    @Upsample(scale = 2) Layer up1();                                               // 32×32×32

    @Concat("enc1") Layer cat1();                                                   // 48×32×32

    @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu Layer dec1();          // 16×32×32

    @Conv(filters = Shapes.CLASSES, kernel = 1) Layer logits();                     // 4×32×32
}
