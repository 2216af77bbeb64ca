#!/usr/bin/env python3
"""PyTorch eager timings for ResNet-20 (1x28x28), to put beside the JMH numbers of the generated code:
the training step (forward, cross-entropy, backward, SGD momentum update) and inference (eval mode, no_grad),
median milliseconds over timed repetitions after a warm-up, on a fixed number of threads.

  /usr/bin/python3 bench/pytorch/step_time.py --threads 2
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_resnet20 import ResNet20  # noqa: E402


def median_ms(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = ResNet20()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    for batch in (1, 64, 128):
        x = torch.sin(torch.arange(batch * 784, dtype=torch.float32) * 0.37).reshape(batch, 1, 28, 28)
        y = torch.arange(batch) % 10

        def train():
            model.train()
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.step()

        def infer():
            model.eval()
            with torch.no_grad():
                model(x)

        reps = 30 if batch > 1 else 300
        print(f"pytorch {torch.__version__} threads={args.threads} batch={batch} "
              f"train_ms={median_ms(train, 5, reps):.2f} forward_ms={median_ms(infer, 5, reps):.3f}", flush=True)


if __name__ == "__main__":
    main()
