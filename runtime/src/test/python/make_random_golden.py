#!/usr/bin/python3
"""Writes runtime/src/test/resources/golden/random.safetensors: what PyTorch's CPU generator gives for a seed, so that
dev.residual.runtime.random.TorchGenerator, ops.Init and data.EpochOrder can be checked to draw exactly what PyTorch
draws (TorchGeneratorTest), and samples/src/test/resources/golden/resnet20.init.sha256: the SHA-256 of every tensor
of ResNet-20 as PyTorch initializes it after torch.manual_seed(1) (samples' InitParityTest).

Run with the system Python, which has torch 1.13 (no pip needed):

    /usr/bin/python3 runtime/src/test/python/make_random_golden.py

What is in random.safetensors (little-endian):

  uniform.seed7          F32 [1000]   torch.manual_seed(7); torch.empty(1000).uniform_(-0.3, 0.7)
  layers.<i>.<name>      F32          torch.manual_seed(3), then the modules of LAYERS constructed in that order
                                      (PyTorch's default initialization; the Java draws them in the same order)
  randperm.small         I64 [3, 10]  g = torch.Generator().manual_seed(1); three torch.randperm(10, generator=g)
  randperm.head          I64 [3, 64]  the same with seed 1 and 60,000 (Fashion-MNIST's training set): first 64
  randperm.tail          I64 [3, 64]  ... last 64
  randperm.weighted      I64 [3]      ... sum over i of i * perm[i], which any other permutation almost surely changes

The metadata holds LAYERS as text, so the Java test builds the same modules.
"""
import hashlib
import importlib.util
import json
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..', '..', '..')
# the safetensors writer the samples' golden scripts share (make_golden_unet.py and make_golden_transformer.py too)
sys.path.insert(0, os.path.join(ROOT, 'samples', 'src', 'test', 'python'))
from make_golden import write_safetensors  # noqa: E402
OUT = os.path.join(HERE, '..', 'resources', 'golden', 'random.safetensors')
RESNET_OUT = os.path.join(ROOT, 'samples', 'src', 'test', 'resources', 'golden', 'resnet20.init.sha256')

# kind, arguments: conv (in, out, kernel, bias), linear (in, out, bias), embedding (rows, dim)
LAYERS = [
    ('conv', 3, 8, 3, True),
    ('linear', 17, 5, True),
    ('embedding', 11, 7),   # 77 floats: normal_'s last 16 drawn again
    ('conv', 2, 4, 1, False),
    ('embedding', 4, 4),    # 16 floats exactly
    ('linear', 64, 10, False),
]


def module(spec):
    kind = spec[0]
    if kind == 'conv':
        return nn.Conv2d(spec[1], spec[2], spec[3], bias=spec[4])
    if kind == 'linear':
        return nn.Linear(spec[1], spec[2], bias=spec[3])
    return nn.Embedding(spec[1], spec[2])


def permutations(n, seed, count):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randperm(n, generator=generator) for _ in range(count)]


def resnet20():
    """The ResNet-20 of bench/pytorch/train_resnet20.py, the PyTorch side of every accuracy comparison."""
    path = os.path.join(ROOT, 'bench', 'pytorch', 'train_resnet20.py')
    spec = importlib.util.spec_from_file_location('train_resnet20', path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script.ResNet20()


def main():
    tensors = {}
    torch.manual_seed(7)
    tensors['uniform.seed7'] = torch.empty(1000).uniform_(-0.3, 0.7)

    torch.manual_seed(3)
    for i, spec in enumerate(LAYERS):
        for name, value in module(spec).state_dict().items():
            tensors[f'layers.{i}.{name}'] = value

    tensors['randperm.small'] = torch.stack(permutations(10, 1, 3))
    big = permutations(60000, 1, 3)
    tensors['randperm.head'] = torch.stack([p[:64] for p in big])
    tensors['randperm.tail'] = torch.stack([p[-64:] for p in big])
    index = torch.arange(60000, dtype=torch.int64)
    tensors['randperm.weighted'] = torch.stack([(index * p).sum() for p in big])

    metadata = {'layers': json.dumps(LAYERS), 'torch': torch.__version__}
    write_safetensors(OUT, tensors, metadata)
    print(f'wrote {os.path.normpath(OUT)}')

    torch.manual_seed(1)
    model = resnet20()
    lines = []
    for name, value in model.state_dict().items():
        if name.endswith('num_batches_tracked'):
            continue
        digest = hashlib.sha256(value.numpy().astype('<f4', copy=False).tobytes()).hexdigest()
        lines.append(f'{digest}  {name}\n')
    with open(RESNET_OUT, 'w') as out:
        out.write(f'# torch.manual_seed(1); ResNet20() of bench/pytorch/train_resnet20.py; torch {torch.__version__}\n')
        out.write('# SHA-256 of each tensor as little-endian float32, in state_dict order\n')
        out.writelines(lines)
    print(f'wrote {os.path.normpath(RESNET_OUT)}: {len(lines)} tensors')


if __name__ == '__main__':
    torch.set_num_threads(1)
    main()
