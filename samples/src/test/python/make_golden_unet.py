#!/usr/bin/python3
"""Writes the PyTorch reference for Residual's U-Nets: a small 2-level U-Net with a per-pixel loss.

    /usr/bin/python3 samples/src/test/python/make_golden_unet.py           # writes the files
    /usr/bin/python3 samples/src/test/python/make_golden_unet.py --check   # compares, writes nothing

A sibling of make_golden.py (whose determinism, norm perturbation and safetensors writer it reuses); it writes into
samples/src/test/resources/golden/:

    small_unet.safetensors        the starting state_dict (F32; no num_batches_tracked), named as Residual names it
    small_unet.train.safetensors  computed in float64 from that state, stored F32:
                                  `input` [n, C, H, W], `labels` [n·H·W] a class per pixel, `output` [n, K, H, W]
                                  (eval mode: running statistics), `loss` (training mode: mean per-pixel
                                  cross-entropy), `grad.<param>`, and after 3 AdamW steps `adamw.<param or buffer>`
                                  and `adamw.loss` [3]

The model is SmallUNet.java, method by method: `@Conv @Norm @Relu` = nn.Sequential(Conv2d(bias=False),
BatchNorm2d, ReLU) (names `<method>.0`, `<method>.1`); `@Pool(MAX, 2)` = MaxPool2d(2); `@ConvTranspose(F, 2, 2)` =
ConvTranspose2d(C, F, 2, 2) (`<method>.weight` [C, F, 2, 2], `<method>.bias`); `@Upsample(2)` = nearest
interpolation; `@Concat("x")` = torch.cat([arriving, x], dim=1); the 1×1 logits convolution has a bias.
"""

import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import ADAMW_ARGS, TRAIN_STEPS, perturb_norms, set_deterministic, write_or_check  # noqa: E402

# Shapes no other test uses: 2 input channels of 12×12, stages of 5, 7 and 6 channels, 4 classes, batch 3 (of 4).
C, H, W, E1, E2, B, K, N, SEED = 2, 12, 12, 5, 7, 6, 4, 3, 3001


def block(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


class SmallUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = block(C, E1)
        self.down1 = nn.MaxPool2d(2)
        self.enc2 = block(E1, E2)
        self.down2 = nn.MaxPool2d(2)
        self.bottom = block(E2, B)
        self.up2 = nn.ConvTranspose2d(B, E2, 2, stride=2)
        self.dec2 = block(2 * E2, E2)
        self.dec1 = block(E2 + E1, E1)
        self.logits = nn.Conv2d(E1, K, 1)

    def forward(self, x):
        enc1 = self.enc1(x)
        enc2 = self.enc2(self.down1(enc1))
        y = self.up2(self.bottom(self.down2(enc2)))
        y = self.dec2(torch.cat([y, enc2], dim=1))
        y = F.interpolate(y, scale_factor=2, mode="nearest")
        y = self.dec1(torch.cat([y, enc1], dim=1))
        return self.logits(y)


def start_model(state):
    model = SmallUNet().double()
    model.load_state_dict({name: value.double() for name, value in state.items()}, strict=False)
    return model


def loss_of(model, images, labels):
    return F.cross_entropy(model(images), labels.reshape(-1, H, W))


def tensors():
    torch.manual_seed(SEED)
    model = SmallUNet()
    perturb_norms(model, torch.Generator().manual_seed(SEED * 7 + 1))
    state = {name: value.detach().float().clone() for name, value in model.state_dict().items()
             if not name.endswith("num_batches_tracked")}
    generator = torch.Generator().manual_seed(SEED * 7 + 2)
    images = torch.randn(N, C, H, W, generator=generator).double()
    labels = torch.randint(0, K, (N * H * W,), generator=generator)

    out = {"input": images, "labels": labels}
    model = start_model(state).eval()
    with torch.no_grad():
        out["output"] = model(images)
    model = start_model(state).train()
    loss = loss_of(model, images, labels)
    loss.backward()
    out["loss"] = loss.detach()
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad.detach().clone()

    model = start_model(state).train()
    optimizer = torch.optim.AdamW(model.parameters(), **ADAMW_ARGS, amsgrad=False, foreach=False)
    losses = []
    for _ in range(TRAIN_STEPS):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(model, images, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().clone())
    out["adamw.loss"] = torch.stack(losses)
    for name, value in model.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            out["adamw." + name] = value.detach().clone()
    return state, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files; write nothing")
    args = parser.parse_args()
    set_deterministic()
    state, train = tensors()
    metadata = {"script": "samples/src/test/python/make_golden_unet.py", "torch": torch.__version__}
    files = {"small_unet.safetensors": state, "small_unet.train.safetensors": train}
    write_or_check(files, args.check, metadata)
    print(f"loss {train['loss'].item():.6f} (uniform baseline ln {K} = {torch.log(torch.tensor(K)).item():.6f}), "
          f"adamw.loss {[round(v, 6) for v in train['adamw.loss'].tolist()]}")


if __name__ == "__main__":
    main()
