#!/usr/bin/env python3
"""PyTorch timings for ResNet-20 or ResNet-56 (1x28x28), to put beside the generated code and the interpreter:
the training step (forward, cross-entropy, backward, SGD momentum update) in eager mode, and inference (eval mode,
no_grad) in eager mode and as TorchScript (traced, torch.jit.freeze, torch.jit.optimize_for_inference). Median
milliseconds over timed repetitions after a warm-up, on a fixed number of threads. One line per measurement:

  TIME peer=<pytorch_eager|torchscript> workload=<train_b64|infer_b1|...> median_ms=<ms>

  /usr/bin/python3 bench/pytorch/step_time.py --threads 2 [--model resnet56] [--reps 30]
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_resnet20 import Basic, ResNet20  # noqa: E402


class ResNet(ResNet20):
    """ResNet-(6n+2): ResNet-20's layout with n basic blocks per stage (n = 3 is ResNet-20, 9 is ResNet-56)."""

    def __init__(self, blocks):
        super().__init__()

        def stage(cin, cout, stride):
            return nn.Sequential(Basic(cin, cout, stride), *[Basic(cout, cout, 1) for _ in range(blocks - 1)])

        self.stage1 = stage(16, 16, 1)
        self.stage2 = stage(16, 32, 2)
        self.stage3 = stage(32, 64, 2)


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
    parser.add_argument("--model", choices=("resnet20", "resnet56"), default="resnet20")
    parser.add_argument("--reps", type=int, default=30, help="timed repetitions per workload (10x at batch 1)")
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = ResNet(3 if args.model == "resnet20" else 9)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    print(f"# pytorch {torch.__version__} model={args.model} threads={args.threads}", flush=True)

    def report(peer, workload, ms):
        print(f"TIME peer={peer} workload={workload} median_ms={ms:.3f}", flush=True)

    for batch in (1, 64, 128):
        x = torch.sin(torch.arange(batch * 784, dtype=torch.float32) * 0.37).reshape(batch, 1, 28, 28)
        y = torch.arange(batch) % 10
        reps = args.reps if batch > 1 else 10 * args.reps

        def train():
            model.train()
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            optimizer.step()

        def infer():
            with torch.no_grad():
                model(x)

        if batch > 1:
            report("pytorch_eager", f"train_b{batch}", median_ms(train, args.warmup, reps))
        model.eval()
        report("pytorch_eager", f"infer_b{batch}", median_ms(infer, args.warmup, reps))
        with torch.no_grad():
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model.eval(), x)))

            def scripted():
                frozen(x)

            report("torchscript", f"infer_b{batch}", median_ms(scripted, args.warmup, reps))


if __name__ == "__main__":
    main()
