package dev.residual.samples.parity;

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
 * A 2-level U-Net with shapes no other test uses (2 channels of 12×12 in, stages of 5, 7 and 6 channels, 4 classes
 * per pixel): conv–norm–ReLU blocks, max-pool down, one upsampling by transposed convolution and one nearest, two
 * concatenated skips, per-pixel cross-entropy. Its PyTorch twin is in {@code src/test/python/make_golden_unet.py}.
 */
@Model(input = {2, 12, 12}, batch = 4, loss = Loss.PIXEL_CROSS_ENTROPY)
public interface SmallUNet {
    @Conv(filters = 5, kernel = 3, padding = 1) @Norm @Relu Layer enc1();

    @Pool(value = PoolKind.MAX, size = 2) Layer down1();

    @Conv(filters = 7, kernel = 3, padding = 1) @Norm @Relu Layer enc2();

    @Pool(value = PoolKind.MAX, size = 2) Layer down2();

    @Conv(filters = 6, kernel = 3, padding = 1) @Norm @Relu Layer bottom();

    @ConvTranspose(filters = 7, kernel = 2, stride = 2) Layer up2();

    @Concat("enc2") Layer cat2();

    @Conv(filters = 7, kernel = 3, padding = 1) @Norm @Relu Layer dec2();

    @Upsample(scale = 2) Layer up1();

    @Concat("enc1") Layer cat1();

    @Conv(filters = 5, kernel = 3, padding = 1) @Norm @Relu Layer dec1();

    @Conv(filters = 4, kernel = 1) Layer logits();
}
