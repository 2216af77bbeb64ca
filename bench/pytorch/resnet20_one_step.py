#!/usr/bin/env python3
"""One training step deep into the demo's run, for `dev.residual.bench.OneStep`.

Trains ResNet-20 with the recipe of train_resnet20.py (seed, data order, SGD, cosine over 3 epochs) up to step
--step, then writes into --out:
  before.safetensors  the state there, as `./residual train` checkpoints it (weights, running statistics, SGD momentum
                      as optimizer.0.<name>, optimizer.step)
  batch.safetensors   the indices of the next batch in the training set ("indices", I64)
  after.safetensors   the state after PyTorch's next step on that batch
  after64.safetensors the same step computed in float64 from the same state (stored as float32): the reference
                      both float32 results are measured against

The parity tests check three steps from initialization; this checks a step from a trained state, where activations,
weight norms and dead units are what a real run meets.
  /usr/bin/python3 bench/pytorch/resnet20_one_step.py --step 300 --out /tmp/one-step
  java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.residual.bench.OneStep /tmp/one-step
"""
import argparse
import copy
import math
import os

import torch
import torch.nn.functional as F

import train_resnet20 as demo
from make_golden import write_safetensors


def float64_step(model, optimizer, step, images, labels):
    """The optimizer's next SGD step (its momentum, weight decay and current rate) in float64, on a copy."""
    twin = copy.deepcopy(model).double()
    twin.train()
    loss = F.cross_entropy(twin(images.double()), labels)  # the forward also moves the running statistics
    loss.backward()
    group = optimizer.param_groups[0]
    lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
    state = demo.weights(twin)
    with torch.no_grad():
        for (name, p), original in zip(twin.named_parameters(), model.parameters()):
            g = p.grad + decay * p
            old = optimizer.state[original].get("momentum_buffer")
            buffer = g if old is None else momentum * old.double() + g
            state[name] = p - lr * buffer
            state["optimizer.0." + name] = buffer
    state["optimizer.step"] = torch.tensor(step + 1, dtype=torch.int64)
    return state


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    train_x, train_y = demo.load("train", 60000)
    model = demo.ResNet20()
    steps_per_epoch = math.ceil(len(train_y) / 128)
    optimizer, schedule = demo.recipe(model, 0.1, 3 * steps_per_epoch)
    generator = torch.Generator().manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    model.train()
    step = 0
    while True:
        order = torch.randperm(len(train_y), generator=generator)
        for i in range(0, len(train_y), 128):
            index = order[i:i + 128]
            if step == args.step:
                write_safetensors(os.path.join(args.out, "before.safetensors"),
                                  demo.checkpoint(model, optimizer, step))
                write_safetensors(os.path.join(args.out, "batch.safetensors"), {"indices": index})
                write_safetensors(os.path.join(args.out, "after64.safetensors"),
                                  float64_step(model, optimizer, step, train_x[index], train_y[index]))
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(train_x[index]), train_y[index])
            loss.backward()
            optimizer.step()
            schedule.step()
            if step == args.step:
                write_safetensors(os.path.join(args.out, "after.safetensors"),
                                  demo.checkpoint(model, optimizer, step + 1))
                print(f"step {step}: loss {loss.item():.8f}; wrote {args.out}")
                return
            step += 1


if __name__ == "__main__":
    main()
