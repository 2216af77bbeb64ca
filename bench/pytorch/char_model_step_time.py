#!/usr/bin/env python3
"""PyTorch eager timings for the character-level Transformer CharModel (4 pre-norm layers, d 128, 4 heads,
context 32, 28 tokens), to put beside CharModelBenchmark: the training step (forward, cross-entropy over every
position, backward, AdamW update) and inference (no_grad), median milliseconds after a warm-up, on a fixed number of
threads. The model is the parity tests' PyTorch twin (samples/src/test/python/make_golden_transformer.py) with
CharModel's sizes. One line per measurement (bench/compare_charmodel.py reads them):

  TIME peer=pytorch_eager workload=<charmodel_train|charmodel_train_b1|charmodel_infer|charmodel_infer_b1> median_ms=<ms>

(batch 32 unless the name ends in _b1)

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

V, T, D, HEADS, HIDDEN, LAYERS = 28, 32, 128, 4, 512, 4  # CharModel.java


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--reps", type=int, default=20, help="timed repetitions per workload (10x at batch 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = twin.gpt(V, T, D, HEADS, HIDDEN, layers=LAYERS)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    print(f"# pytorch {torch.__version__} model=charmodel threads={args.threads}", flush=True)
    for batch in (1, 32):
        ids = torch.randint(0, V, (batch, T))
        labels = torch.randint(0, V, (batch * T,))
        reps = args.reps if batch > 1 else 10 * args.reps
        suffix = "_b1" if batch == 1 else ""

        def train():
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(ids).reshape(-1, V), labels).backward()
            optimizer.step()

        def infer():
            with torch.no_grad():
                model(ids)

        for workload, step in (("charmodel_train", train), ("charmodel_infer", infer)):
            print(f"TIME peer=pytorch_eager workload={workload}{suffix} "
                  f"median_ms={median_ms(step, args.warmup, reps):.3f}", flush=True)


if __name__ == "__main__":
    main()
