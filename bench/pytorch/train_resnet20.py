#!/usr/bin/env python3
"""PyTorch reference for the flagship demo: ResNet-20 on Fashion-MNIST with the same recipe as
`./residual train` (samples/src/main/java/dev/residual/samples/resnet/TrainResNet20.java):

  - the same network (3x3 stem 16, three stages of three basic blocks 16/32/64, stride-2 projection shortcuts
    1x1 conv + BN, global average pool, dense 10), PyTorch's default initialization;
  - inputs normalized with mean 0.2860, std 0.3530; a fresh shuffle per epoch; the last partial batch kept;
  - SGD momentum 0.9, weight decay 5e-4, batch 128, learning rate 0.1 with a per-step cosine decay to 0;
  - evaluation on the 10,000 test images after each epoch (eval mode: running statistics).

It prints the same RESULT line. Run with Debian's PyTorch, on the same number of threads:
  /usr/bin/python3 bench/pytorch/train_resnet20.py --epochs 3 --threads 2

Two options swap data orders with `./residual train`, to tell the data order's effect from the framework's:
  --write-order FILE       writes the orders this seed draws (torch.randperm per epoch, little-endian int64) and
                           stops; `./residual train --order FILE` trains on them
  --order FILE             trains on FILE's orders instead (e.g. from `./residual train --write-order FILE`)

  --init FILE              starts from the weights and running statistics in FILE instead of PyTorch's
                           initialization from --seed (e.g. `./residual train --write-init FILE`'s)
  --write-init FILE        writes PyTorch's initial weights and running statistics for --seed and stops;
                           `./residual train --init FILE` starts from them

Two options cross the frameworks, since both use the same tensor names:
  --save FILE              writes the trained weights; `./residual classify --weights FILE --count 10000` evaluates
                           them with the generated code
  --checkpoint-after E DIR writes DIR/checkpoint.safetensors after epoch E (weights, running statistics, SGD
                           momentum as optimizer.0.<name>, optimizer.step), which
                           `./residual train --resume --out DIR --epochs N` continues with the same schedule
"""
import argparse
import gzip
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "samples", "src", "test", "python"))
from make_golden import read_safetensors, write_safetensors  # noqa: E402  (the golden data's reader and writer)


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(split, limit):
    images = idx(f"{DATA}/{split}-images-idx3-ubyte.gz")[:limit].astype(np.float32)
    labels = idx(f"{DATA}/{split}-labels-idx1-ubyte.gz")[:limit].astype(np.int64)
    images = (images / 255.0 - 0.2860) / 0.3530
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        skip = x if self.shortcut is None else self.shortcut(x)
        return F.relu(self.conv2(self.conv1(x)) + skip)


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.stage1 = nn.Sequential(Basic(16, 16, 1), Basic(16, 16, 1), Basic(16, 16, 1))
        self.stage2 = nn.Sequential(Basic(16, 32, 2), Basic(32, 32, 1), Basic(32, 32, 1))
        self.stage3 = nn.Sequential(Basic(32, 64, 2), Basic(64, 64, 1), Basic(64, 64, 1))
        self.logits = nn.Linear(64, 10)

    def forward(self, x):
        x = self.stage3(self.stage2(self.stage1(self.stem(x))))
        return self.logits(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def evaluate(model, images, labels, batch):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(labels), batch):
            correct += (model(images[i:i + batch]).argmax(1) == labels[i:i + batch]).sum().item()
    return correct / len(labels)


def weights(model):
    return {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def checkpoint(model, optimizer, step):
    """What `./residual train` saves: the state dict, the momentum buffers and the step count."""
    names = {id(p): n for n, p in model.named_parameters()}
    state = weights(model)
    for group in optimizer.param_groups:
        for p in group["params"]:
            # no buffer before the first step: zeros, which SGD's first step ignores on both sides
            buffer = optimizer.state[p].get("momentum_buffer")
            state["optimizer.0." + names[id(p)]] = torch.zeros_like(p) if buffer is None else buffer
    state["optimizer.step"] = torch.tensor(step, dtype=torch.int64)
    return state


def recipe(model, lr, total):
    """The demo's optimizer and schedule: SGD momentum 0.9, weight decay 5e-4, cosine from lr to 0 over total steps."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    return optimizer, torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)


def epoch_orders(args, samples):
    """One permutation of the training images per epoch: torch.randperm from a generator seeded with --seed (drawn
    up front; nothing else draws from it), or those of --order, checked to be permutations."""
    if not args.order:
        generator = torch.Generator().manual_seed(args.seed)
        return [torch.randperm(samples, generator=generator) for _ in range(args.epochs)]
    flat = np.fromfile(args.order, dtype="<i8")
    if len(flat) < args.epochs * samples or len(flat) % samples:
        sys.exit(f"--order {args.order}: {len(flat)} indices; need {args.epochs} epochs of {samples}")
    orders = flat.reshape(-1, samples)[:args.epochs]
    for epoch, order in enumerate(orders):
        if not np.array_equal(np.sort(order), np.arange(samples)):
            sys.exit(f"--order {args.order}: epoch {epoch} is not a permutation of 0..{samples - 1}")
    return [torch.from_numpy(order.copy()) for order in orders]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=60000)
    parser.add_argument("--save", help="write the trained weights to this safetensors file")
    parser.add_argument("--history", help="write each step's loss and each epoch's test accuracy to this CSV file, "
                                          "in the form of the history.csv that ./residual train writes")
    parser.add_argument("--order", help="visit the training images in this file's orders (one permutation per epoch, "
                                        "little-endian int64) instead of drawing them with --seed")
    parser.add_argument("--init", help="start from the weights in this safetensors file (PyTorch names) instead of "
                                       "PyTorch's initialization from --seed")
    parser.add_argument("--write-order", help="write the orders --seed draws for --epochs to this file and stop")
    parser.add_argument("--write-init", help="write the initial weights --seed gives to this safetensors file and stop")
    parser.add_argument("--checkpoint-after", nargs=2, metavar=("EPOCH", "DIR"),
                        help="write DIR/checkpoint.safetensors after this epoch, for ./residual train --resume")
    args = parser.parse_args()
    if args.init and args.write_init:
        parser.error("--init and --write-init exclude each other")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    started = time.time()
    model = ResNet20()  # first after the seed, so --write-init needs no data; loading the data draws nothing
    if args.init:
        tensors, _ = read_safetensors(args.init)
        state = weights(model)
        if sorted(tensors) != sorted(state):
            sys.exit(f"--init {args.init}: its tensors are not ResNet-20's: missing {sorted(set(state) - set(tensors))}, "
                     f"unexpected {sorted(set(tensors) - set(state))}")
        model.load_state_dict({k: v.to(torch.float32) for k, v in tensors.items()}, strict=False)
    if args.write_init:
        write_safetensors(args.write_init, weights(model))
        print(f"wrote {args.write_init}: the initial weights of seed {args.seed}")
        return
    train_x, train_y = load("train", args.limit)
    test_x, test_y = load("t10k", 10000)
    steps_per_epoch = math.ceil(len(train_y) / args.batch)
    total = args.epochs * steps_per_epoch
    optimizer, schedule = recipe(model, args.lr, total)
    orders = epoch_orders(args, len(train_y))
    if args.write_order:
        np.concatenate([o.numpy() for o in orders]).astype("<i8").tofile(args.write_order)
        print(f"wrote {args.write_order}: the orders of seed {args.seed}, {args.epochs} epochs of {len(train_y)} images")
        return
    train_seconds = 0.0
    images_seen = 0
    accuracy = 0.0
    history = ["kind,step,value"]
    step = 0
    for epoch in range(args.epochs):
        model.train()
        order = orders[epoch]
        epoch_start = time.time()
        loss_sum, correct = 0.0, 0
        for i in range(0, len(train_y), args.batch):
            index = order[i:i + args.batch]
            optimizer.zero_grad(set_to_none=True)
            labels = train_y[index]
            logits = model(train_x[index])
            loss = F.cross_entropy(logits, labels)
            loss.backward()
            optimizer.step()
            schedule.step()
            images_seen += len(index)
            step += 1
            value = loss.item()
            loss_sum += value * len(index)
            correct += (logits.argmax(1) == labels).sum().item()
            history.append(f"loss,{step},{value!r}")
        epoch_seconds = time.time() - epoch_start
        train_seconds += epoch_seconds
        accuracy = evaluate(model, test_x, test_y, args.batch)
        history.append(f"test_accuracy,{step},{accuracy:.4f}")
        print(f"epoch {epoch + 1}/{args.epochs}: loss {loss_sum / len(train_y):.4f}, train accuracy "
              f"{correct / len(train_y):.4f}, test accuracy {accuracy:.4f}, {len(train_y) / epoch_seconds:.0f} images/s",
              flush=True)
        if args.checkpoint_after and int(args.checkpoint_after[0]) == epoch + 1:
            os.makedirs(args.checkpoint_after[1], exist_ok=True)
            path = os.path.join(args.checkpoint_after[1], "checkpoint.safetensors")
            write_safetensors(path, checkpoint(model, optimizer, (epoch + 1) * steps_per_epoch))
            print(f"wrote {path}", flush=True)
    if args.save:
        write_safetensors(args.save, weights(model))
    if args.history:
        with open(args.history, "w") as f:
            f.write("\n".join(history) + "\n")
    print(f"RESULT model=ResNet20 framework=pytorch-{torch.__version__} epochs={args.epochs} batch={args.batch} "
          f"test_accuracy={accuracy:.4f} train_images_per_s={images_seen / train_seconds:.0f} "
          f"seconds={time.time() - started:.0f}")


if __name__ == "__main__":
    main()
