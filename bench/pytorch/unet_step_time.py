#!/usr/bin/env python3
"""PyTorch eager timings for the segmentation sample's U-Net (1x32x32 in, stages of 16, 32 and 64 channels, one
transposed-convolution and one nearest upsampling, two concatenated skips, 4 classes per pixel), to put beside
UNetBenchmark: the training step (forward, per-pixel cross-entropy, backward, AdamW update) and inference (eval
mode, no_grad) on a batch of 16, median milliseconds after a warm-up, on a fixed number of threads. The model is the
parity tests' PyTorch twin (samples/src/test/python/make_golden_unet.py) with UNet.java's sizes.

  /usr/bin/python3 bench/pytorch/unet_step_time.py --threads 2
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "samples", "src", "test", "python"))
import make_golden_unet as twin  # noqa: E402
from step_time import median_ms  # noqa: E402

twin.C, twin.H, twin.W, twin.E1, twin.E2, twin.B, twin.K = 1, 32, 32, 16, 32, 64, 4  # UNet.java
BATCH = 16


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = twin.SmallUNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    images = torch.randn(BATCH, twin.C, twin.H, twin.W)
    labels = torch.randint(0, twin.K, (BATCH, twin.H, twin.W))

    def train():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(images), labels).backward()
        optimizer.step()

    def infer():
        model.eval()
        with torch.no_grad():
            model(images)

    print(f"UNet batch {BATCH}: train step {median_ms(train, args.warmup, args.reps):8.2f} ms, "
          f"forward {median_ms(infer, args.warmup, args.reps):8.2f} ms  ({args.threads} threads, PyTorch "
          f"{torch.__version__} eager)")


if __name__ == "__main__":
    main()
