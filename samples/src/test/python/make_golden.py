#!/usr/bin/python3
"""Writes the PyTorch reference ("golden") files for Residual's sample models.

Run with Debian's PyTorch (no pip packages needed):

    /usr/bin/python3 samples/src/test/python/make_golden.py

It writes into samples/src/test/resources/golden/ (next to this script's tree):

    <model>.safetensors     the eval-mode state_dict, named exactly as Residual's documented checkpoint naming
    <model>.io.safetensors  `input` [n, C, H, W] and `output` [n, classes] (forward in eval mode, computed in float64,
                            stored as F32)
    <model>.train.safetensors  training reference from the same starting state (train mode, float64, stored F32):
                            `input`, `labels`, `loss`, `grad.<param>`, `train_forward.running.<bn buffer>`,
                            `sgd.*` / `adamw.*` (state after 3 steps, and the 3 losses), `sgd_smooth.*` (label smoothing)
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

`MODELS` lists one spec per model, each with a builder function; the writers (`write_safetensors`,
`write_forward_golden`, `write_training_golden`) are generic.
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


def build_unseen_net():
    """Shapes the team has not seen: odd 13x13 input, 2 channels, stride-2 stage with a projection, a 1x1 squeeze,
    a floor-mode max pool 7 -> 3, and a Dense over 36 features."""
    return Net([
        ("stem", layer(nn.Conv2d(2, 6, 3, 1, 1, bias=False), nn.BatchNorm2d(6), nn.ReLU())),
        ("stage1", residual(6, 10, repeat=2, stride=2)),                                      # 13 -> 7
        ("squeeze", layer(nn.Conv2d(10, 4, 1, bias=False), nn.BatchNorm2d(4), nn.ReLU())),
        ("down", layer(nn.MaxPool2d(2, stride=2))),                                           # 7 -> 3 (floor)
        ("logits", layer(nn.Linear(36, 6))),
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


# name, builder, input C×H×W, batch n for the io golden, batch train_n for the train golden, seed, expected number of
# parameters (None: not checked)
MODELS = [
    dict(name="small_resnet", build=build_small_resnet, input=(3, 9, 9), n=3, train_n=4, seed=1001, params=None),
    # 272,474 is CIFAR ResNet-20 with a 3-channel input and projection shortcuts (269,722 with option-A zero-padding
    # shortcuts + 2,752 for stage2.0/stage3.0's shortcut conv and norm). Ours takes a 1-channel input: the stem conv
    # has 16*2*9 = 288 fewer weights. main() also checks the 3-channel variant gives exactly 272,474.
    # Its optimizer states are stored for three layers only (optimizer_state_stored): all of them would add 2.2 MB.
    dict(name="resnet20", build=build_resnet20, input=(1, 28, 28), n=2, train_n=4, seed=1002, params=272474 - 288,
         optimizer_layers=("stem.", "stage3.2.", "logits.")),
    dict(name="ops_net", build=build_ops_net, input=(3, 11, 11), n=3, train_n=3, seed=1003, params=None),
    dict(name="unseen_net", build=build_unseen_net, input=(2, 13, 13), n=3, train_n=3, seed=1004, params=None),
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


def write_or_check(files, check, metadata):
    """Writes each {file name: {tensor name: tensor}} into GOLDEN_DIR, or with `check` compares it with the file."""
    for name, content in files.items():
        path = os.path.join(GOLDEN_DIR, name)
        if check:
            stored, _ = read_safetensors(path)
            assert sorted(stored) == sorted(content), f"{name}: tensor names differ"
            for key, value in content.items():
                assert torch.equal(stored[key], value.to(stored[key].dtype)), f"{name}: {key} differs"
            print(f"{name}: matches")
        else:
            size = write_safetensors(path, content, metadata)
            print(f"{name}: {len(content)} tensors, {size:,} bytes")


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


# --------------------------------------------------------------------------------------------------------------------
# Training goldens: <model>.train.safetensors
# --------------------------------------------------------------------------------------------------------------------

SGD_ARGS = dict(lr=0.1, momentum=0.9, weight_decay=5e-4)
ADAMW_ARGS = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
TRAIN_STEPS = 3
LABEL_SMOOTHING = 0.1
BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d)


def num_classes(spec):
    """Width of the model's output (from a throwaway eval forward of a zero input)."""
    model = spec["build"]().eval()
    with torch.no_grad():
        return model(torch.zeros((1,) + tuple(spec["input"]))).shape[1]


def make_train_batch(spec):
    """`input` [train_n, C, H, W] ~ N(0, 1) (F32) and `labels` [train_n] (I64) in [0, classes), not all equal."""
    generator = torch.Generator().manual_seed(spec["seed"] * 7 + 3)
    n = spec["train_n"]
    x = torch.randn((n,) + tuple(spec["input"]), generator=generator, dtype=torch.float32)
    classes = num_classes(spec)
    labels = torch.randint(0, classes, (n,), generator=generator, dtype=torch.int64)
    if n > 1 and bool((labels == labels[0]).all()):
        labels[-1] = (labels[-1] + 1) % classes
    return x, labels


def load_start_model(spec, state_dict):
    """A fresh model (different init seed, so nothing leaks from the builder) holding `state_dict`, as float64 in
    train mode."""
    torch.manual_seed(54321)
    model = spec["build"]()
    model.load_state_dict(state_dict, strict=True)
    return model.double().train()


def running_buffers(model):
    """{name: tensor} of every batch norm's running_mean and running_var, in state-dict order."""
    out = {}
    for module_name, module in model.named_modules():
        if isinstance(module, BN_TYPES):
            out[module_name + ".running_mean"] = module.running_mean.detach().clone()
            out[module_name + ".running_var"] = module.running_var.detach().clone()
    return out


def last_linear_weight_name(model):
    """The weight of the last nn.Linear (`logits.weight` when the head is the `logits` method)."""
    names = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    return names[-1] + ".weight"


def optimizer_run(spec, state_dict, x64, labels, make_optimizer):
    """TRAIN_STEPS steps of zero_grad, train-mode forward on the same batch, mean cross-entropy, backward, step.
    Returns (losses [TRAIN_STEPS], {name: tensor} of every parameter and running buffer afterwards)."""
    model = load_start_model(spec, state_dict)
    optimizer = make_optimizer(model.parameters())
    criterion = nn.CrossEntropyLoss()
    losses = []
    for _ in range(TRAIN_STEPS):
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(x64), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach().clone())
    state = {name: p.detach().clone() for name, p in model.named_parameters()}
    state.update(running_buffers(model))
    return torch.stack(losses), state


def optimizer_state_stored(spec, name):
    """Whether `sgd.<name>` and `adamw.<name>` go into the train file: every parameter and running statistic, except
    that a spec with `optimizer_layers` keeps only those layers' parameters (and every running statistic, which are
    small). Its losses after each step and its gradients `grad.<p>` still cover every parameter."""
    layers = spec.get("optimizer_layers")
    return layers is None or name.endswith((".running_mean", ".running_var")) or name.startswith(layers)


def training_tensors(spec, state_dict):
    """Everything in <model>.train.safetensors, computed in float64 from `state_dict` (the eval checkpoint)."""
    x, labels = make_train_batch(spec)
    x64 = x.double()
    tensors = {"input": x, "labels": labels}

    # One train-mode forward (batch statistics; running stats updated with momentum 0.1, unbiased variance),
    # mean cross-entropy, backward.
    model = load_start_model(spec, state_dict)
    loss = nn.CrossEntropyLoss()(model(x64), labels)
    loss.backward()
    tensors["loss"] = loss.detach().clone()                                                        # shape []
    for name, p in model.named_parameters():
        assert p.grad is not None, f"{spec['name']}: no gradient for {name}"
        tensors["grad." + name] = p.grad.detach().clone()
    for name, tensor in running_buffers(model).items():
        tensors["train_forward.running." + name] = tensor

    # The same first step with label smoothing: loss and one gradient.
    model = load_start_model(spec, state_dict)
    loss = nn.CrossEntropyLoss(label_smoothing=LABEL_SMOOTHING)(model(x64), labels)
    loss.backward()
    tensors["sgd_smooth.loss"] = loss.detach().clone().reshape(1)
    head = last_linear_weight_name(model)
    tensors["sgd_smooth.grad." + head] = dict(model.named_parameters())[head].grad.detach().clone()

    optimizers = [
        ("sgd", lambda params: torch.optim.SGD(params, **SGD_ARGS, foreach=False)),
        ("adamw", lambda params: torch.optim.AdamW(params, **ADAMW_ARGS, amsgrad=False, foreach=False)),
    ]
    for prefix, make_optimizer in optimizers:
        losses, state = optimizer_run(spec, state_dict, x64, labels, make_optimizer)
        tensors[prefix + ".loss"] = losses
        for name, tensor in state.items():
            if optimizer_state_stored(spec, name):
                tensors[prefix + "." + name] = tensor
    for name, tensor in tensors.items():
        if tensor.is_floating_point():
            assert torch.isfinite(tensor).all(), f"{spec['name']}: {name} is not finite"
    return tensors


def expected_train_names(spec):
    """The complete list of tensor names a train file must hold (from the architecture alone)."""
    model = spec["build"]()
    params = [name for name, _ in model.named_parameters()]
    running = list(running_buffers(model))
    names = ["input", "labels", "loss", "sgd.loss", "adamw.loss", "sgd_smooth.loss",
             "sgd_smooth.grad." + last_linear_weight_name(model)]
    names += ["grad." + p for p in params]
    names += ["train_forward.running." + b for b in running]
    for prefix in ("sgd", "adamw"):
        names += [prefix + "." + p for p in params + running if optimizer_state_stored(spec, p)]
    return sorted(names)


def train_metadata(spec):
    metadata = base_metadata(spec, "training (train mode, computed in float64, stored as F32)")
    metadata.update({
        "train_n": spec["train_n"],
        "loss": "CrossEntropyLoss(mean)",
        "steps": TRAIN_STEPS,
        "sgd": json.dumps(SGD_ARGS, sort_keys=True),
        "adamw": json.dumps(ADAMW_ARGS, sort_keys=True),
        "label_smoothing": LABEL_SMOOTHING,
        "batchnorm_momentum": 0.1,
    })
    if spec.get("optimizer_layers"):
        metadata["optimizer_layers"] = ",".join(layer.rstrip(".") for layer in spec["optimizer_layers"])
    return metadata


def write_training_golden(spec, out_dir):
    """Loads <model>.safetensors (the same starting state as the forward golden) and writes <model>.train.safetensors."""
    state_dict, _ = read_safetensors(os.path.join(out_dir, spec["name"] + ".safetensors"))
    tensors = training_tensors(spec, state_dict)
    assert sorted(tensors) == expected_train_names(spec), f"{spec['name']}: train names incomplete"
    path = os.path.join(out_dir, spec["name"] + ".train.safetensors")
    return path, write_safetensors(path, tensors, train_metadata(spec)), tensors


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


def check_train_spec(spec, out_dir, verbose=True):
    """Reads <model>.train.safetensors back: names complete, shapes right, values reproduced from the stored
    checkpoint, running statistics matching a hand computation, and float32 autograd close to the float64 golden."""
    name = spec["name"]
    train, meta = read_safetensors(os.path.join(out_dir, name + ".train.safetensors"))
    state_dict, _ = read_safetensors(os.path.join(out_dir, name + ".safetensors"))
    assert sorted(train) == expected_train_names(spec), f"{name}: train names differ"
    assert meta["torch"] == torch.__version__ and meta["train_n"] == str(spec["train_n"])

    n, classes = spec["train_n"], num_classes(spec)
    x, labels = train["input"], train["labels"]
    assert list(x.shape) == [n] + list(spec["input"]) and x.dtype == torch.float32
    assert list(labels.shape) == [n] and labels.dtype == torch.int64
    assert int(labels.min()) >= 0 and int(labels.max()) < classes and len(set(labels.tolist())) > 1
    expected_x, expected_labels = make_train_batch(spec)
    assert torch.equal(x, expected_x) and torch.equal(labels, expected_labels)
    assert list(train["loss"].shape) == [] and list(train["sgd_smooth.loss"].shape) == [1]
    assert list(train["sgd.loss"].shape) == [TRAIN_STEPS] and list(train["adamw.loss"].shape) == [TRAIN_STEPS]
    shapes = {k: list(v.shape) for k, v in state_dict.items()}
    for key, tensor in train.items():
        for prefix in ("grad.", "train_forward.running.", "sgd_smooth.grad.", "sgd.", "adamw."):
            if key.startswith(prefix) and key[len(prefix):] in shapes:
                assert list(tensor.shape) == shapes[key[len(prefix):]], f"{name}: {key} has shape {list(tensor.shape)}"
                assert tensor.dtype == torch.float32
                break
        else:
            assert key in ("input", "labels", "loss", "sgd.loss", "adamw.loss", "sgd_smooth.loss"), key
    assert not any("num_batches_tracked" in k for k in train)

    # Recomputed from the checkpoint file: identical once stored as F32.
    recomputed = training_tensors(spec, state_dict)
    for key, tensor in recomputed.items():
        assert torch.equal(_to_storable(tensor), train[key]), f"{name}: {key} not reproduced"
    assert abs(train["loss"].item() - train["sgd.loss"][0].item()) < 1e-6
    assert abs(train["loss"].item() - train["adamw.loss"][0].item()) < 1e-6

    # Running statistics by hand: 0.9 * old + 0.1 * batch mean / unbiased batch variance of each batch norm's input.
    model = load_start_model(spec, state_dict)
    inputs = {}
    hooks = [m.register_forward_hook(lambda m, i, o, key=k: inputs.__setitem__(key, i[0].detach()))
             for k, m in model.named_modules() if isinstance(m, BN_TYPES)]
    with torch.no_grad():
        model(x.double())
    for h in hooks:
        h.remove()
    for key, inp in inputs.items():
        dims = [0] + list(range(2, inp.dim()))
        mean = 0.9 * state_dict[key + ".running_mean"].double() + 0.1 * inp.mean(dims)
        var = 0.9 * state_dict[key + ".running_var"].double() + 0.1 * inp.var(dims, unbiased=True)
        assert (mean - train["train_forward.running." + key + ".running_mean"].double()).abs().max() < 1e-6, key
        assert (var - train["train_forward.running." + key + ".running_var"].double()).abs().max() < 1e-6, key

    # float32 autograd against the float64 golden (how close a float32 implementation can expect to get).
    torch.manual_seed(54321)
    model32 = spec["build"]()
    model32.load_state_dict(state_dict, strict=True)
    model32.train()
    nn.CrossEntropyLoss()(model32(x), labels).backward()
    worst = 0.0
    for pname, p in model32.named_parameters():
        golden = train["grad." + pname].double()
        worst = max(worst, ((p.grad.double() - golden).abs().max() / golden.abs().max().clamp_min(1e-12)).item())
    assert worst < 1e-3, f"{name}: float32 gradients too far from the float64 golden ({worst})"
    if verbose:
        print(f"  check {name}.train: {len(train)} tensors ok, reproduced exactly; loss {train['loss'].item():.6f}, "
              f"sgd.loss {[round(v, 6) for v in train['sgd.loss'].tolist()]}, "
              f"adamw.loss {[round(v, 6) for v in train['adamw.loss'].tolist()]}, "
              f"smooth {train['sgd_smooth.loss'].item():.6f}; float32 grads max |diff| / max |grad| = {worst:.1e}")
    return train


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
        "- `<model>.train.safetensors`: training reference. Starts from the state in `<model>.safetensors` (the file",
        "  is read back and loaded), model and input converted to float64, TRAIN mode (batch norms normalise with",
        "  batch statistics, biased variance, and update running_mean / running_var with momentum 0.1 and the",
        "  unbiased batch variance); everything computed in float64 and stored as F32 (`labels` as I64).",
        "  No `num_batches_tracked` in this file. Tensors (`<p>` = every trainable parameter, `<b>` = every batch",
        "  norm's `running_mean` and `running_var`, named exactly as in the state dict):",
        "  - `input` [train_n, C, H, W] F32 (standard normal, its own seed; not the io input) and `labels`",
        "    [train_n] I64 in [0, classes), not all equal;",
        "  - `loss` [] : `nn.CrossEntropyLoss()` (mean over the batch) of the first train-mode forward;",
        "  - `grad.<p>`: the gradients of that loss (one `backward()` from the starting state);",
        "  - `train_forward.running.<b>`: the running statistics after that single train-mode forward;",
        f"  - `sgd.<p>`, `sgd.<b>`, `sgd.loss` [{TRAIN_STEPS}]: {TRAIN_STEPS} steps of",
        "    `torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)` (weight decay on every",
        "    parameter, norms and biases included), each step `zero_grad`, train-mode forward on the same batch,",
        "    cross-entropy, `backward`, `step`; `sgd.loss` holds the loss of each step (before its update), so",
        f"    `sgd.loss[0] == loss`; parameters and running statistics after the {TRAIN_STEPS} steps",
        f"    ({TRAIN_STEPS} running-stat updates);",
        "  - `adamw.<p>`, `adamw.<b>`, `adamw.loss` [3]: the same, again from the starting state, with",
        "    `torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)`",
        "    (decoupled decay, no amsgrad);",
        "  - `sgd_smooth.loss` [1] and `sgd_smooth.grad.<head>.weight`: the first loss with",
        f"    `CrossEntropyLoss(label_smoothing={LABEL_SMOOTHING})` from the starting state and the gradient of the",
        "    last Linear's weight (`logits.weight`; `g.weight` for ops_net, whose head method is `g`).",
        "  ops_net has no batch norm (GroupNorm / LayerNorm only), so its train file has no `<b>` entries.",
        "  resnet20's `sgd.<p>` and `adamw.<p>` cover only the layers its metadata names in `optimizer_layers`",
        "  (`stem`, `stage3.2`, `logits`; every `<b>` is kept): all of them would add 2.2 MB to a file the",
        "  repository keeps, and the losses of the 3 steps and `grad.<p>` still cover every parameter.",
        "",
        "| model | input C×H×W | n (io) | parameters | state tensors | .safetensors + .io (bytes) | train_n | "
        "train tensors | .train (bytes) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['name']} | {r['input']} | {r['n']} | {r['params']:,} | {r['tensors']} | "
                     f"{r['size']:,} + {r['io_size']:,} | {r['train_n']} | {r['train_tensors']} | "
                     f"{r['train_size']:,} |")
    lines += [
        "",
        "Training values (float64, printed rounded):",
        "",
        "| model | labels | loss | sgd.loss | adamw.loss | sgd_smooth.loss |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['name']} | {r['labels']} | {r['loss']:.6f} | "
                     f"{', '.join(f'{v:.6f}' for v in r['sgd'])} | {', '.join(f'{v:.6f}' for v in r['adamw'])} | "
                     f"{r['smooth']:.6f} |")
    total = sum(r["size"] + r["io_size"] + r["train_size"] for r in rows)
    lines += ["", f"Total of the .safetensors files: {total:,} bytes.", ""]
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
            check_train_spec(spec, args.out)
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
        train_path, train_size, train = write_training_golden(spec, args.out)

        print(f"{spec['name']}: input {list(x.shape)} -> output {list(y.shape)}; "
              f"{params:,} parameters + {buffers:,} buffer values")
        for name, tensor in sorted(model.state_dict().items()):
            print(f"    {name:42s} {str(list(tensor.shape)):16s} {str(tensor.dtype).replace('torch.', '')}")
        print(f"  wrote {os.path.relpath(path)} ({size:,} bytes), {os.path.relpath(io_path)} ({io_size:,} bytes), "
              f"{os.path.relpath(train_path)} ({train_size:,} bytes, {len(train)} tensors)")
        rows.append(dict(name=spec["name"], input="×".join(map(str, spec["input"])), n=spec["n"], params=params,
                         tensors=len(model.state_dict()), size=size, io_size=io_size, train_n=spec["train_n"],
                         train_tensors=len(train), train_size=train_size,
                         labels=train["labels"].tolist(), loss=train["loss"].item(),
                         sgd=train["sgd.loss"].tolist(), adamw=train["adamw.loss"].tolist(),
                         smooth=train["sgd_smooth.loss"].item()))
        check_spec(spec, args.out)
        check_train_spec(spec, args.out)

    # The README's later sections ("## ...") belong to the other golden scripts: keep them.
    readme = os.path.join(args.out, "README.md")
    others = ""
    if os.path.exists(readme):
        with open(readme, encoding="utf-8") as f:
            old = f.read()
        if "\n## " in old:
            others = old[old.index("\n## "):]
    with open(readme, "w", encoding="utf-8") as f:
        f.write(readme_text(rows) + others)
    total = 0
    for name in sorted(os.listdir(args.out)):
        p = os.path.join(args.out, name)
        total += os.path.getsize(p)
        print(f"  {os.path.getsize(p):>9,}  {hashlib.sha256(open(p, 'rb').read()).hexdigest()[:16]}  {name}")
    print(f"  {total:>9,}  total")


if __name__ == "__main__":
    main()
