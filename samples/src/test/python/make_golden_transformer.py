#!/usr/bin/python3
"""Writes the PyTorch reference for Residual's sequence models: pre-norm Transformers of several shapes.

    /usr/bin/python3 samples/src/test/python/make_golden_transformer.py           # writes the files
    /usr/bin/python3 samples/src/test/python/make_golden_transformer.py --check   # compares, writes nothing
    /usr/bin/python3 samples/src/test/python/make_golden_transformer.py --only tiny_gpt

A sibling of make_golden.py (whose determinism and safetensors writer it reuses). `MODELS` lists one entry per Java
declaration in samples/src/test/java/dev/residual/samples/parity/ (TinyGpt.java -> tiny_gpt, ...); for each it writes
into samples/src/test/resources/golden/:

    <name>.safetensors        the starting state_dict (F32), named as Residual names the parameters
    <name>.train.safetensors  computed in float64 from that state, stored F32:
                              `input` [n, T] token ids (as floats, as the generated forward takes them),
                              `labels` [n·T] a label per position (the next token when the classes are the
                              vocabulary), `output` [n, T, classes] logits, `loss` (mean cross-entropy over the n·T
                              positions), `grad.<param>`, and after 3 AdamW steps `adamw.<param>` and `adamw.loss` [3]

To add a shape: declare the model in Java, add an entry to MODELS built from the modules below, run this script, and
add the pair to SequenceParityTest's list.

Naming (Residual DSL -> PyTorch), as in make_golden.py: one method = one module, several annotations =
nn.Sequential; @Residual(block, repeat R) = nn.Sequential of R blocks, each `x + branch(x)` here (activation NONE);
@Embedding = nn.Embedding(V, D); @PositionalEmbedding = a module whose `weight` [T, D] is added per position;
@Attention(heads H) = a module with `qkv` = Linear(D, 3D) and `proj` = Linear(D, D) (GPT-2's c_attn/c_proj), heads
splitting each of q, k, v into H slices of D/H features; a @Dense followed by a @Norm on the same method has no
bias (Bias.AUTO).
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


class PositionalEmbedding(nn.Module):
    def __init__(self, length, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(length, dim))

    def forward(self, x):
        return x + self.weight


class SelfAttention(nn.Module):
    def __init__(self, dim, heads, causal):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        n, t, d = x.shape
        q, k, v = (part.reshape(n, t, self.heads, d // self.heads).transpose(1, 2)
                   for part in self.qkv(x).split(d, dim=2))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
        if self.causal:
            scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
        y = scores.softmax(dim=-1) @ v
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


def attention_stage(dim, heads, causal=True, eps=1e-5):
    """@Residual(block = SelfAttention.class): x + Attention(LayerNorm(x))."""
    return nn.Sequential(ResidualBlock(norm=nn.LayerNorm(dim, eps=eps), attn=SelfAttention(dim, heads, causal)))


def mlp_stage(dim, hidden, activation=nn.GELU, bias=True, eps=1e-5, repeat=1):
    """@Residual(block = Mlp.class, repeat R): R blocks of x + down(act(up(LayerNorm(x))))."""
    return nn.Sequential(*(ResidualBlock(norm=nn.LayerNorm(dim, eps=eps),
                                         up=nn.Sequential(nn.Linear(dim, hidden, bias=bias), activation()),
                                         down=nn.Linear(hidden, dim, bias=bias)) for _ in range(repeat)))


def embed(vocabulary, length, dim, positional=True):
    """@Embedding(dim) [@PositionalEmbedding]."""
    if not positional:
        return nn.Embedding(vocabulary, dim)
    return nn.Sequential(nn.Embedding(vocabulary, dim), PositionalEmbedding(length, dim))


def gpt(vocabulary, length, dim, heads, hidden, layers=2, causal=True, positional=True, activation=nn.GELU,
        mlp_bias=True, logits_bias=True, eps=1e-5, mlp_repeat=None):
    """The usual pre-norm stack: embed, attn<i> and mlp<i> per layer, norm, logits (to the vocabulary).
    `mlp_repeat` maps a layer index to the blocks of its MLP stage (default 1)."""
    methods = [("embed", embed(vocabulary, length, dim, positional))]
    for i in range(layers):
        repeat = (mlp_repeat or {}).get(i, 1)
        methods += [(f"attn{i}", attention_stage(dim, heads, causal, eps)),
                    (f"mlp{i}", mlp_stage(dim, hidden, activation, mlp_bias, eps, repeat))]
    methods += [("norm", nn.LayerNorm(dim, eps=eps)), ("logits", nn.Linear(dim, vocabulary, bias=logits_bias))]
    return nn.Sequential(collections.OrderedDict(methods))


def mixed_sequence():
    """MixedSequence.java: V 5, T 11, embedding 10 lifted to 21, a bare attention, 6 classes."""
    return nn.Sequential(collections.OrderedDict([
        ("embed", embed(5, 11, 10)),
        ("lift", nn.Sequential(nn.Linear(10, 21, bias=False), nn.LayerNorm(21), nn.GELU())),
        ("attn0", attention_stage(21, 3, causal=False)),
        ("mix", SelfAttention(21, 7, causal=True)),
        ("norm", nn.LayerNorm(21)),
        ("logits", nn.Linear(21, 6)),
    ]))


Spec = collections.namedtuple("Spec", "name build vocabulary length classes n seed")

# One entry per Java declaration; n is the batch the reference runs (the Java model may plan for more).
MODELS = [
    # TinyGpt.java: V 11, T 6, D 12, 3 heads of 4, MLP 20, batch 3 (the model plans for 4); CharModel.java's shape.
    Spec("tiny_gpt", lambda: gpt(11, 6, 12, 3, 20), 11, 6, 11, 3, 2001),
    # OddHeadsGpt.java: 5 heads of 3, one layer, GELU tanh, MLP ratio 22/15, 1 sequence of 2.
    Spec("odd_heads_gpt", lambda: gpt(13, 7, 15, 5, 22, layers=1,
                                      activation=lambda: nn.GELU(approximate="tanh")), 13, 7, 13, 1, 2002),
    # DeepEncoder.java: 3 non-causal layers, 3 heads of 8, ReLU MLP 40, eps 1e-6, mlp1 of 2 blocks, 3 of 5.
    Spec("deep_encoder", lambda: gpt(7, 13, 24, 3, 40, layers=3, causal=False, activation=nn.ReLU, eps=1e-6,
                                     mlp_repeat={1: 2}), 7, 13, 7, 3, 2003),
    # SingleHeadNoBias.java: 1 head of 9, no positional embedding, bias-free MLP and logits, a full batch of 3.
    Spec("single_head_no_bias", lambda: gpt(17, 5, 9, 1, 9, positional=False, mlp_bias=False, logits_bias=False),
         17, 5, 17, 3, 2004),
    # MixedSequence.java: see mixed_sequence(); 2 sequences of 4.
    Spec("mixed_sequence", mixed_sequence, 5, 11, 6, 2, 2005),
    # OneToken.java: T 1, D 4 in 2 heads, MLP 8, V 3, a batch of 1.
    Spec("one_token", lambda: gpt(3, 1, 4, 2, 8, layers=1), 3, 1, 3, 1, 2006),
]


def start_model(spec, state):
    model = spec.build().double()
    model.load_state_dict({name: value.double() for name, value in state.items()})
    return model


def loss_of(spec, model, ids, labels):
    return F.cross_entropy(model(ids).reshape(-1, spec.classes), labels)


def tensors(spec):
    torch.manual_seed(spec.seed)
    model = spec.build()
    perturb_norms(model, torch.Generator().manual_seed(spec.seed * 7 + 1))
    state = {name: value.detach().float().clone() for name, value in model.state_dict().items()}
    generator = torch.Generator().manual_seed(spec.seed * 7 + 2)
    tokens = torch.randint(0, spec.vocabulary, (spec.n, spec.length + 1), generator=generator)
    ids, labels = tokens[:, :-1], tokens[:, 1:].reshape(-1)
    if spec.classes != spec.vocabulary:  # labels that are not tokens: drawn in the output's range
        labels = torch.randint(0, spec.classes, (spec.n * spec.length,), generator=generator)

    out = {"input": ids.float(), "labels": labels}
    model = start_model(spec, state)
    with torch.no_grad():
        out["output"] = model(ids)
    loss = loss_of(spec, model, ids, labels)
    loss.backward()
    out["loss"] = loss.detach()
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad.detach().clone()

    model = start_model(spec, state)
    optimizer = torch.optim.AdamW(model.parameters(), **ADAMW_ARGS, amsgrad=False, foreach=False)
    losses = []
    for _ in range(TRAIN_STEPS):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(spec, model, ids, labels)
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
    parser.add_argument("--only", help="one entry of MODELS by name")
    args = parser.parse_args()
    set_deterministic()
    specs = [spec for spec in MODELS if args.only in (None, spec.name)]
    if not specs:
        parser.error(f"--only {args.only}: no such model; known: {', '.join(spec.name for spec in MODELS)}")
    metadata = {"script": "samples/src/test/python/make_golden_transformer.py", "torch": torch.__version__}
    for spec in specs:
        state, train = tensors(spec)
        files = {f"{spec.name}.safetensors": state, f"{spec.name}.train.safetensors": train}
        write_or_check(files, args.check, metadata)
        print(f"{spec.name}: loss {train['loss'].item():.6f} (uniform ln {spec.classes} = "
              f"{math.log(spec.classes):.6f}), adamw.loss {[round(v, 6) for v in train['adamw.loss'].tolist()]}")


if __name__ == "__main__":
    main()
