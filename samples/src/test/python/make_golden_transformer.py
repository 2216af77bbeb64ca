#!/usr/bin/python3
"""Writes the PyTorch reference for Residual's sequence models: a 2-layer pre-norm Transformer language model.

    /usr/bin/python3 samples/src/test/python/make_golden_transformer.py           # writes the files
    /usr/bin/python3 samples/src/test/python/make_golden_transformer.py --check   # compares, writes nothing

A sibling of make_golden.py (whose determinism and safetensors writer it reuses); it writes into
samples/src/test/resources/golden/:

    tiny_gpt.safetensors        the starting state_dict (F32), named as Residual names the parameters
    tiny_gpt.train.safetensors  computed in float64 from that state, stored F32:
                                `input` [n, T] token ids (as floats, as the generated forward takes them),
                                `labels` [n·T] next-token ids, `output` [n, T, V] logits, `loss` (mean cross-entropy
                                over the n·T positions), `grad.<param>`, and after 3 AdamW steps `adamw.<param>`
                                and `adamw.loss` [3]

Naming (Residual DSL -> PyTorch), as in make_golden.py: one method = one module, several annotations =
nn.Sequential; @Residual(block, repeat R) = nn.Sequential of R blocks, each `x + branch(x)` here (activation NONE);
@Embedding = nn.Embedding(V, D); @PositionalEmbedding = a module whose `weight` [T, D] is added per position;
@Attention(heads H) = a module with `qkv` = Linear(D, 3D) and `proj` = Linear(D, D) (GPT-2's c_attn/c_proj), heads
splitting each of q, k, v into H slices of D/H features.
"""

import argparse
import collections
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import ADAMW_ARGS, TRAIN_STEPS, perturb_norms, set_deterministic, write_or_check  # noqa: E402

# Shapes no other test uses: V 11, T 6, D 12, 3 heads of 4, MLP 20, batch 3 (the model plans for 4).
V, T, D, HEADS, HIDDEN, N, SEED = 11, 6, 12, 3, 20, 3, 2001


class PositionalEmbedding(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(T, D))

    def forward(self, x):
        return x + self.weight


class SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)

    def forward(self, x):
        n, t, d = x.shape
        q, k, v = (part.reshape(n, t, HEADS, d // HEADS).transpose(1, 2) for part in self.qkv(x).split(d, dim=2))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // HEADS)
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        y = scores.masked_fill(mask, float("-inf")).softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(n, t, d))


class ResidualBlock(nn.Module):
    """A @Block with identity shortcut and no activation after the add: x + branch(x)."""

    def __init__(self, **layers):
        super().__init__()
        for name, module in layers.items():
            self.add_module(name, module)

    def forward(self, x):
        y = x
        for module in self.children():
            y = module(y)
        return x + y


def attention_stage():
    return nn.Sequential(ResidualBlock(norm=nn.LayerNorm(D), attn=SelfAttention()))


def mlp_stage():
    return nn.Sequential(ResidualBlock(norm=nn.LayerNorm(D), up=nn.Sequential(nn.Linear(D, HIDDEN), nn.GELU()),
                                       down=nn.Linear(HIDDEN, D)))


def build(layers=2):
    """TinyGpt.java, method by method (CharModel.java with layers=4 and its V, T, D, HEADS, HIDDEN set here)."""
    methods = [("embed", nn.Sequential(nn.Embedding(V, D), PositionalEmbedding()))]
    for i in range(layers):
        methods += [(f"attn{i}", attention_stage()), (f"mlp{i}", mlp_stage())]
    methods += [("norm", nn.LayerNorm(D)), ("logits", nn.Linear(D, V))]
    return nn.Sequential(collections.OrderedDict(methods))


def start_model(state):
    model = build().double()
    model.load_state_dict({name: value.double() for name, value in state.items()})
    return model


def loss_of(model, ids, labels):
    return F.cross_entropy(model(ids).reshape(-1, V), labels)


def tensors():
    torch.manual_seed(SEED)
    model = build()
    perturb_norms(model, torch.Generator().manual_seed(SEED * 7 + 1))
    state = {name: value.detach().float().clone() for name, value in model.state_dict().items()}
    generator = torch.Generator().manual_seed(SEED * 7 + 2)
    tokens = torch.randint(0, V, (N, T + 1), generator=generator)
    ids, labels = tokens[:, :-1], tokens[:, 1:].reshape(-1)

    out = {"input": ids.float(), "labels": labels}
    model = start_model(state)
    with torch.no_grad():
        out["output"] = model(ids)
    loss = loss_of(model, ids, labels)
    loss.backward()
    out["loss"] = loss.detach()
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad.detach().clone()

    model = start_model(state)
    optimizer = torch.optim.AdamW(model.parameters(), **ADAMW_ARGS, amsgrad=False, foreach=False)
    losses = []
    for _ in range(TRAIN_STEPS):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(model, ids, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().clone())
    out["adamw.loss"] = torch.stack(losses)
    for name, p in model.named_parameters():
        out["adamw." + name] = p.detach().clone()
    return state, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files; write nothing")
    args = parser.parse_args()
    set_deterministic()
    state, train = tensors()
    metadata = {"script": "samples/src/test/python/make_golden_transformer.py", "torch": torch.__version__}
    files = {"tiny_gpt.safetensors": state, "tiny_gpt.train.safetensors": train}
    write_or_check(files, args.check, metadata)
    print(f"loss {train['loss'].item():.6f} (uniform baseline ln {V} = {math.log(V):.6f}), "
          f"adamw.loss {[round(v, 6) for v in train['adamw.loss'].tolist()]}")


if __name__ == "__main__":
    main()
