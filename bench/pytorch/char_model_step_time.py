#!/usr/bin/env python3
"""PyTorch eager timings for the character-level Transformer CharModel (4 pre-norm layers, d 128, 4 heads,
context 32, 28 tokens), to put beside CharModelBenchmark: the training step (forward, cross-entropy over every
position, backward, AdamW update) and inference (no_grad), median milliseconds after a warm-up, on a fixed number of
threads. The model is the parity tests' PyTorch twin (samples/src/test/python/make_golden_transformer.py) with
CharModel's sizes.

  /usr/bin/python3 bench/pytorch/char_model_step_time.py --threads 2
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "samples", "src", "test", "python"))
import make_golden_transformer as twin  # noqa: E402
from step_time import median_ms  # noqa: E402

twin.V, twin.T, twin.D, twin.HEADS, twin.HIDDEN = 28, 32, 128, 4, 512  # CharModel.java


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = twin.build(layers=4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    for batch in (1, 32):
        ids = torch.randint(0, twin.V, (batch, twin.T))
        labels = torch.randint(0, twin.V, (batch * twin.T,))

        def train():
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(ids).reshape(-1, twin.V), labels).backward()
            optimizer.step()

        def infer():
            with torch.no_grad():
                model(ids)

        print(f"CharModel batch {batch:3d}: train step {median_ms(train, args.warmup, args.reps):8.2f} ms, "
              f"forward {median_ms(infer, args.warmup, args.reps):8.2f} ms  ({args.threads} threads, PyTorch "
              f"{torch.__version__} eager)")


if __name__ == "__main__":
    main()
