#!/usr/bin/python3
"""Writes the PyTorch reference ("golden") files for Residual's sample models.

Run with Debian's PyTorch (no pip packages needed):

    /usr/bin/python3 samples/src/test/python/make_golden.py

It writes into samples/src/test/resources/golden/ (next to this script's tree):

    <model>.safetensors     the eval-mode state_dict, named exactly as Residual's documented checkpoint naming
    <model>.io.safetensors  `input` [n, C, H, W] and `output` [n, classes] (forward in eval mode, computed in float64,
                            stored as F32)
    README.md               how the files were made

Everything is deterministic (fixed seeds, one thread, deterministic algorithms, sorted safetensors keys), so running
it again rewrites byte-identical files. Pass --check to verify the existing files without writing anything.

Naming rules (Residual DSL -> PyTorch module names):
  * each method of a model interface is a submodule named after the method; one annotation -> that module itself,
    several annotations -> nn.Sequential of them in written order (activations included as modules);
  * Conv/Dense bias is present unless a Norm directly follows on the same method;
  * @Residual(block, repeat R, filters F, stride S) -> nn.Sequential of R blocks; block 0 gets stride S, the rest 1;
    a block's forward is relu(branch(x) + shortcut(x)); the shortcut is identity when the branch keeps the shape,
    else `shortcut` = Sequential(Conv2d(in, F, 1, stride S, bias=False), BatchNorm2d(F));
  * a Dense after an image-shaped tensor flattens it (torch.flatten(x, 1)).

The script is organised so that a training section (loss, every gradient, parameters after SGD-momentum and AdamW
steps) can be added per model later: `MODELS` lists one spec per model, each with a builder function; the writers
(`write_safetensors`, `write_forward_golden`) are generic.
"""

import argparse
import copy
import hashlib
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN_DIR = os.path.normpath(os.path.join(HERE, "..", "resources", "golden"))
SCRIPT_REL = "samples/src/test/python/make_golden.py"


# --------------------------------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------------------------------

def set_deterministic():
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # can only be set once per process, before any inter-op work
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.set_default_dtype(torch.float32)


# --------------------------------------------------------------------------------------------------------------------
# Building blocks matching the DSL
# --------------------------------------------------------------------------------------------------------------------

def layer(*modules):
    """One annotation -> the module itself; several -> nn.Sequential in written order."""
    return modules[0] if len(modules) == 1 else nn.Sequential(*modules)


class Net(nn.Module):
    """A model interface: one submodule per method, run in declaration order.

    A method whose first module is nn.Linear flattens an image-shaped input first (a Dense after a C×H×W tensor)."""

    def __init__(self, methods):
        super().__init__()
        self.order = []
        for name, module in methods:
            self.add_module(name, module)
            self.order.append(name)

    @staticmethod
    def _first(module):
        return module[0] if isinstance(module, nn.Sequential) else module

    def forward(self, x):
        for name in self.order:
            module = getattr(self, name)
            if isinstance(self._first(module), nn.Linear) and x.dim() > 2:
                x = torch.flatten(x, 1)
            x = module(x)
        return x


class BasicBlock(nn.Module):
    """`Basic`: conv1 = @Conv(k3,p1,stride=BLOCK) @Norm @Relu; conv2 = @Conv(k3,p1) @Norm;
    forward relu(branch(x) + shortcut(x)); `shortcut` exists only when the branch changes the shape."""

    def __init__(self, in_channels, filters, stride):
        super().__init__()
        self.conv1 = layer(nn.Conv2d(in_channels, filters, 3, stride, 1, bias=False), nn.BatchNorm2d(filters),
                           nn.ReLU())
        self.conv2 = layer(nn.Conv2d(filters, filters, 3, 1, 1, bias=False), nn.BatchNorm2d(filters))
        if stride != 1 or in_channels != filters:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, filters, 1, stride, 0, bias=False),
                                          nn.BatchNorm2d(filters))
        else:
            self.shortcut = None  # identity: no module, no names

    def forward(self, x):
        branch = self.conv2(self.conv1(x))
        skip = x if self.shortcut is None else self.shortcut(x)
        return F.relu(branch + skip)


def residual(in_channels, filters, repeat, stride=1, block=BasicBlock):
    """@Residual(block, repeat, filters, stride): first block gets `stride`, the others 1."""
    blocks = []
    for i in range(repeat):
        blocks.append(block(in_channels if i == 0 else filters, filters, stride if i == 0 else 1))
    return nn.Sequential(*blocks)


# --------------------------------------------------------------------------------------------------------------------
# The models: one builder per model (parameters initialised with PyTorch defaults from the caller's seed)
# --------------------------------------------------------------------------------------------------------------------

def build_small_resnet():
    return Net([
        ("stem", layer(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())),
        ("stage1", residual(8, 8, repeat=1)),
        ("stage2", residual(8, 16, repeat=2, stride=2)),
        ("pool", layer(nn.AdaptiveAvgPool2d(1))),
        ("logits", layer(nn.Linear(16, 5))),
    ])


def build_resnet20():
    return Net([
        ("stem", layer(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())),
        ("stage1", residual(16, 16, repeat=3)),
        ("stage2", residual(16, 32, repeat=3, stride=2)),
        ("stage3", residual(32, 64, repeat=3, stride=2)),
        ("pool", layer(nn.AdaptiveAvgPool2d(1))),
        ("logits", layer(nn.Linear(64, 10))),
    ])


def build_ops_net():
    return Net([
        ("a", layer(nn.Conv2d(3, 6, 5, 1, 2, bias=True), nn.GELU())),
        ("b", layer(nn.MaxPool2d(3, stride=2, padding=1))),                                   # 11 -> 6
        ("c", layer(nn.Conv2d(6, 8, 1, bias=False), nn.GroupNorm(2, 8), nn.ReLU())),
        ("d", layer(nn.AvgPool2d(2, stride=2, padding=0, count_include_pad=True))),          # 6 -> 3
        ("e", layer(nn.Conv2d(8, 4, 3, 1, 1, bias=False), nn.LayerNorm([4, 3, 3]))),
        ("f", layer(nn.Linear(36, 7), nn.GELU(approximate="tanh"))),
        ("g", layer(nn.Linear(7, 3))),
    ])


# name, builder, input C×H×W, batch n for the io golden, seed, expected number of parameters (None: not checked)
MODELS = [
    dict(name="small_resnet", build=build_small_resnet, input=(3, 9, 9), n=3, seed=1001, params=None),
    # 272,474 is CIFAR ResNet-20 with a 3-channel input and projection shortcuts (269,722 with option-A zero-padding
    # shortcuts + 2,752 for stage2.0/stage3.0's shortcut conv and norm). Ours takes a 1-channel input: the stem conv
    # has 16*2*9 = 288 fewer weights. main() also checks the 3-channel variant gives exactly 272,474.
    dict(name="resnet20", build=build_resnet20, input=(1, 28, 28), n=2, seed=1002, params=272474 - 288),
    dict(name="ops_net", build=build_ops_net, input=(3, 11, 11), n=3, seed=1003, params=None),
]

NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)


def perturb_norms(model, generator):
    """Gives every norm non-trivial affine parameters and (batch norms) running statistics, in module order."""
    with torch.no_grad():
        for index, (_, module) in enumerate(model.named_modules()):
            if not isinstance(module, NORM_TYPES):
                continue
            if getattr(module, "weight", None) is not None:
                module.weight.copy_(torch.rand(module.weight.shape, generator=generator) + 0.5)        # U(0.5, 1.5)
                module.bias.copy_(torch.rand(module.bias.shape, generator=generator) - 0.5)            # U(-0.5, 0.5)
            if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
                module.running_mean.copy_(torch.rand(module.running_mean.shape, generator=generator) - 0.5)
                module.running_var.copy_(torch.rand(module.running_var.shape, generator=generator) * 1.5 + 0.5)
                module.num_batches_tracked.fill_(int(torch.randint(1, 20, (), generator=generator)))


def make_model(spec):
    """Builds the model with PyTorch's default init from the spec's seed, then perturbs the norms. Eval mode."""
    torch.manual_seed(spec["seed"])
    model = spec["build"]()
    generator = torch.Generator().manual_seed(spec["seed"] * 7 + 1)
    perturb_norms(model, generator)
    model.float().eval()
    return model


def make_input(spec):
    generator = torch.Generator().manual_seed(spec["seed"] * 7 + 2)
    return torch.randn((spec["n"],) + tuple(spec["input"]), generator=generator, dtype=torch.float32)


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())


# --------------------------------------------------------------------------------------------------------------------
# safetensors (written by hand: 8-byte LE header length, JSON header padded with spaces to a multiple of 8, raw data)
# --------------------------------------------------------------------------------------------------------------------

DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def _to_storable(tensor):
    tensor = tensor.detach().cpu()
    if tensor.is_floating_point():
        tensor = tensor.to(torch.float32)
    elif tensor.dtype != torch.int64:
        tensor = tensor.to(torch.int64)
    return tensor.contiguous()


def safetensors_bytes(tensors, metadata=None):
    """tensors: {name: torch.Tensor}; names sorted; floats stored as F32, integers as I64."""
    header = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        tensor = _to_storable(tensors[name])
        dtype, np_dtype = DTYPES[tensor.dtype]
        data = tensor.numpy().astype(np_dtype, copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write_safetensors(path, tensors, metadata=None):
    data = safetensors_bytes(tensors, metadata)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def read_safetensors(path):
    """Independent reader used by --check: returns ({name: tensor}, metadata). Validates the layout strictly."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, f"{path}: header length {n} not a multiple of 8"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    body = raw[8 + n:]
    tensors = {}
    expected_begin = 0
    for name in sorted(header, key=lambda k: header[k]["data_offsets"][0]):
        entry = header[name]
        begin, end = entry["data_offsets"]
        assert begin == expected_begin, f"{path}: {name} not contiguous"
        expected_begin = end
        np_dtype, torch_dtype, size = {"F32": ("<f4", torch.float32, 4), "I64": ("<i8", torch.int64, 8)}[entry["dtype"]]
        numel = 1
        for d in entry["shape"]:
            numel *= d
        assert end - begin == numel * size, f"{path}: {name} has the wrong byte length"
        values = struct.unpack(f"<{numel}{'f' if size == 4 else 'q'}", body[begin:end])
        tensors[name] = torch.tensor(values, dtype=torch_dtype).reshape(entry["shape"])
    assert expected_begin == len(body), f"{path}: trailing bytes"
    return tensors, metadata


# --------------------------------------------------------------------------------------------------------------------
# Goldens
# --------------------------------------------------------------------------------------------------------------------

def state_dict_of(model):
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def forward_float64(model, x):
    """Eval-mode forward in float64 on a copy of the model (the reference carries no float32 rounding)."""
    reference = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        return reference(x.double())


def base_metadata(spec, kind):
    return {
        "format": "pt",
        "model": spec["name"],
        "kind": kind,
        "input_chw": "x".join(str(d) for d in spec["input"]),
        "seed": spec["seed"],
        "torch": torch.__version__,
        "generator": SCRIPT_REL,
    }


def write_model_golden(spec, model, out_dir):
    path = os.path.join(out_dir, spec["name"] + ".safetensors")
    return path, write_safetensors(path, state_dict_of(model), base_metadata(spec, "state_dict (eval)"))


def write_forward_golden(spec, model, x, out_dir):
    y = forward_float64(model, x)
    metadata = base_metadata(spec, "forward (eval, computed in float64, stored as F32)")
    path = os.path.join(out_dir, spec["name"] + ".io.safetensors")
    return path, write_safetensors(path, {"input": x, "output": y}, metadata), y

# A later training section plugs in here, per model: e.g. write_training_golden(spec, model, x, labels, out_dir)
# writing loss, every gradient, and the parameters after 3 SGD-momentum and 3 AdamW steps into
# <model>.train.safetensors, using the same make_model / make_input / write_safetensors.


# --------------------------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------------------------

def check_spec(spec, out_dir, verbose=True):
    """Reads the files back, compares with a freshly built model, re-runs the forward from the loaded weights."""
    model = make_model(spec)
    expected_sd = state_dict_of(model)
    loaded_sd, meta = read_safetensors(os.path.join(out_dir, spec["name"] + ".safetensors"))
    assert sorted(loaded_sd) == sorted(expected_sd), f"{spec['name']}: names differ"
    for name, tensor in expected_sd.items():
        got = loaded_sd[name]
        assert list(got.shape) == list(tensor.shape), f"{name}: shape {list(got.shape)} != {list(tensor.shape)}"
        assert torch.equal(got, tensor.to(got.dtype)), f"{name}: values differ"
    assert meta["torch"] == torch.__version__

    io, _ = read_safetensors(os.path.join(out_dir, spec["name"] + ".io.safetensors"))
    assert sorted(io) == ["input", "output"]
    assert torch.equal(io["input"], make_input(spec))

    # A fresh (differently seeded) model loaded from the file must reproduce the stored output.
    torch.manual_seed(12345)
    fresh = spec["build"]()
    fresh.load_state_dict(loaded_sd, strict=True)
    fresh.eval()
    y64 = forward_float64(fresh, io["input"])
    assert torch.equal(y64.float(), io["output"]), f"{spec['name']}: float64 forward differs from stored output"
    with torch.no_grad():
        y32 = fresh(io["input"])
    err32 = (y32.double() - io["output"].double()).abs().max().item()
    # The running statistics must matter: the train-mode forward (batch statistics) differs clearly.
    stats = ""
    if any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in fresh.modules()):
        with torch.no_grad():
            ytrain = copy.deepcopy(fresh).double().train()(io["input"].double())
        train_gap = (ytrain - y64).abs().max().item()
        assert train_gap > 1e-2, f"{spec['name']}: running statistics barely matter ({train_gap})"
        stats = f", batch-stats vs running-stats forward max |diff| = {train_gap:.3f}"
    if verbose:
        print(f"  check {spec['name']}: {len(loaded_sd)} tensors ok, float64 forward reproduces output exactly, "
              f"float32 forward max |diff| = {err32:.2e}{stats}")
    assert err32 < 1e-4, f"{spec['name']}: float32 forward too far from the reference ({err32})"
    return err32


# --------------------------------------------------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------------------------------------------------

def readme_text(rows):
    lines = [
        "# Golden files (PyTorch reference)",
        "",
        "Made by `" + SCRIPT_REL + "` with Debian's PyTorch, from the repository root:",
        "",
        "```sh",
        "/usr/bin/python3 " + SCRIPT_REL,
        "```",
        "",
        f"torch {torch.__version__}, Python {sys.version.split()[0]}, float32, one thread, fixed seeds, "
        "`torch.use_deterministic_algorithms(True)`; re-running rewrites byte-identical files "
        "(`--check` verifies the files without writing).",
        "",
        "Per model:",
        "",
        "- `<model>.safetensors`: the eval-mode `state_dict` (F32; `num_batches_tracked` as I64 scalars, shape `[]`),",
        "  named by Residual's checkpoint naming (method name; `.0`, `.1`, ... inside a multi-annotation method or a",
        "  `@Residual` stage; `shortcut` for a projection shortcut). PyTorch default init from a fixed seed, then every",
        "  norm gets weight ~ U(0.5, 1.5), bias ~ U(-0.5, 0.5), and batch norms running_mean ~ U(-0.5, 0.5),",
        "  running_var ~ U(0.5, 2.0), num_batches_tracked a small int.",
        "- `<model>.io.safetensors`: `input` [n, C, H, W] (standard normal) and `output` [n, classes], the eval-mode",
        "  forward computed in float64 (model and input converted to double) and stored as F32.",
        "",
        "| model | input C×H×W | n | parameters | state tensors | files (bytes) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['name']} | {r['input']} | {r['n']} | {r['params']:,} | {r['tensors']} | "
                     f"{r['size']:,} + {r['io_size']:,} |")
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=GOLDEN_DIR, help="output directory (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="only verify the existing files")
    args = parser.parse_args()
    set_deterministic()

    if args.check:
        for spec in MODELS:
            check_spec(spec, args.out)
        print("all golden files check out")
        return

    # Sanity check of the architecture against the canonical count (3-channel input, projection shortcuts).
    cifar = build_resnet20()
    cifar.stem[0] = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
    assert count_parameters(cifar) == 272474, count_parameters(cifar)

    os.makedirs(args.out, exist_ok=True)
    rows = []
    for spec in MODELS:
        model = make_model(spec)
        x = make_input(spec)
        params = count_parameters(model)
        buffers = sum(b.numel() for b in model.buffers())
        if spec["params"] is not None:
            assert params == spec["params"], f"{spec['name']}: {params} parameters, expected {spec['params']}"
        path, size = write_model_golden(spec, model, args.out)
        io_path, io_size, y = write_forward_golden(spec, model, x, args.out)

        print(f"{spec['name']}: input {list(x.shape)} -> output {list(y.shape)}; "
              f"{params:,} parameters + {buffers:,} buffer values")
        for name, tensor in sorted(model.state_dict().items()):
            print(f"    {name:42s} {str(list(tensor.shape)):16s} {str(tensor.dtype).replace('torch.', '')}")
        print(f"  wrote {os.path.relpath(path)} ({size:,} bytes), {os.path.relpath(io_path)} ({io_size:,} bytes)")
        rows.append(dict(name=spec["name"], input="×".join(map(str, spec["input"])), n=spec["n"], params=params,
                         tensors=len(model.state_dict()), size=size, io_size=io_size))
        check_spec(spec, args.out)

    with open(os.path.join(args.out, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme_text(rows))
    total = 0
    for name in sorted(os.listdir(args.out)):
        p = os.path.join(args.out, name)
        total += os.path.getsize(p)
        print(f"  {os.path.getsize(p):>9,}  {hashlib.sha256(open(p, 'rb').read()).hexdigest()[:16]}  {name}")
    print(f"  {total:>9,}  total")


if __name__ == "__main__":
    main()
