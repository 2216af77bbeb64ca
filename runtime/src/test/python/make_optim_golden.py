#!/usr/bin/python3
"""Writes runtime/src/test/resources/golden/optim.safetensors: PyTorch's answers for the optimizers, learning-rate
schedules, gradient clipping and losses of dev.residual.runtime.optim and dev.residual.runtime.loss.

Run with the system Python, which has torch 1.13 (no pip needed):

    /usr/bin/python3 runtime/src/test/python/make_optim_golden.py

The safetensors file is written by hand (8-byte little-endian header length, JSON header with sorted names, the data
in that order), so the output is byte-for-byte deterministic for a given torch build.

What is where (all tensors little-endian; vectors of P floats are the flat parameter block the Java optimizers see):

  params.init            F32 [P]     the parameters before the first step; a few runs of zeros play "padding"
  grads                  F32 [5, P]  the gradient of step t+1 in row t (zero at the padding positions)
  <case>.params          F32 [5, P]  the parameters after step t+1 in row t
  <case>.lr              F64 [5]     the learning rate given to step t+1 (PyTorch's param_group['lr'])
  clip.grads             F32 [P]     gradients to clip
  clip.norm              F32 [1]     the total L2 norm clip_grad_norm_ returns
  clip.max1.grads        F32 [P]     clip_grad_norm_(max_norm=1): scaled down
  clip.max1000.grads     F32 [P]     clip_grad_norm_(max_norm=1000): unchanged
  schedule.<name>        F64 [S]     closed-form learning rates at t = 0..S-1 (checked here against torch's schedulers)
  <ce case>.logits       F32 [C, n]  channel-major logits (class k of sample s at k*n + s)
  <ce case>.labels       I64 [n]
  <ce case>.smoothing    F64 [1]
  <ce case>.loss         F64 [1]     mean CrossEntropyLoss(label_smoothing=eps), computed in float64 from the logits
  <ce case>.grad         F32 [C, n]  its gradient w.r.t. the logits, float64 rounded to float32, channel-major
  mse.prediction/target  F32 [F, n]
  mse.loss               F64 [1]     MSELoss() in float64
  mse.grad               F32 [F, n]  MSELoss's gradient from float32 autograd (norm * (p - t), as the Java does)

The cross-entropy reference is float64 because the Java computes each sample's log-sum-exp in double and rounds once:
its float32 gradient is then within an ulp of the float64 answer, whereas float32 PyTorch carries its own rounding.
"""
import json
import math
import os
import struct
import sys
import warnings

import numpy as np
import torch

P = 103
STEPS = 5
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'golden', 'optim.safetensors')

torch.set_num_threads(1)
# SequentialLR calls scheduler.step(0) internally, which warns that the epoch argument is deprecated
warnings.filterwarnings('ignore', message='The epoch parameter')
gen = torch.Generator().manual_seed(20240611)
tensors = {}


def put(name, array):
    array = np.ascontiguousarray(array)
    assert array.dtype in (np.float32, np.float64, np.int64), (name, array.dtype)
    assert name not in tensors, name
    tensors[name] = array


def padding_mask():
    mask = torch.ones(P)
    mask[10:13] = 0  # "padding" between parameters: zero in params and grads, must stay zero
    mask[50:53] = 0
    mask[P - 2:] = 0
    return mask


MASK = padding_mask()


def masked(x):
    return torch.where(MASK.bool(), x, torch.zeros(()))  # +0.0 at the padding (x * 0 would give -0.0 for x < 0)


INIT = masked(torch.randn(P, generator=gen))
GRADS = [masked(torch.randn(P, generator=gen) * (0.5 + t)) for t in range(STEPS)]
GRADS[2][20:30] *= 1e-4  # a few tiny gradients: AdamW's denominator is then dominated by eps at first
put('params.init', INIT.numpy())
put('grads', torch.stack(GRADS).numpy())


# ---- learning-rate schedules: closed forms (what the Java implements) --------------------------------------------

def step_decay(lr, step_size, gamma):
    return lambda t: lr * gamma ** (t // step_size)


def cosine(lr_max, lr_min, period):
    return lambda t: lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * t / period)) / 2


def warmup(after, start_factor, steps):
    """SequentialLR([LinearLR(start_factor, total_iters=steps), after], milestones=[steps])."""
    def at(t):
        if t < steps:
            return after(0) * (start_factor + (1 - start_factor) * t / steps)
        return after(t - steps)
    return at


def torch_schedule(make, count, lr):
    """The learning rates a torch scheduler gives at t = 0..count-1 (read before each scheduler.step())."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = make(opt)
    values = []
    for _ in range(count):
        values.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    return values


SCHEDULES = {
    'step_decay': (step_decay(0.1, 3, 0.5), 0.1,
                   lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    'cosine': (cosine(0.1, 0.001, 8), 0.1,
               lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.001)),
    'warmup_cosine': (warmup(cosine(0.1, 0.001, 8), 0.25, 4), 0.1,
                      lambda o: torch.optim.lr_scheduler.SequentialLR(o, [
                          torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=4),
                          torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.001)], milestones=[4])),
    'warmup_step_decay': (warmup(step_decay(0.01, 2, 0.1), 0.1, 3), 0.01,
                          lambda o: torch.optim.lr_scheduler.SequentialLR(o, [
                              torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=3),
                              torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.1)], milestones=[3])),
}
SCHEDULE_LENGTH = 13
print('learning-rate schedules (closed form; torch scheduler agrees to 1e-12):')
for name, (closed, lr, make) in sorted(SCHEDULES.items()):
    values = [closed(t) for t in range(SCHEDULE_LENGTH)]
    reference = torch_schedule(make, SCHEDULE_LENGTH, lr)
    for t, (a, b) in enumerate(zip(values, reference)):
        assert abs(a - b) <= 1e-12 * abs(b), (name, t, a, b)
    print(f'  {name:18s}', ' '.join(f'{v:.10g}' for v in values))
    put('schedule.' + name, np.array(values, dtype=np.float64))


# ---- optimizers -------------------------------------------------------------------------------------------------

def run(name, make, lrs):
    p = torch.nn.Parameter(INIT.clone())
    opt = make([p])
    rows = []
    for t in range(STEPS):
        opt.param_groups[0]['lr'] = lrs[t]
        p.grad = GRADS[t].clone()
        opt.step()
        rows.append(p.detach().clone())
    after = torch.stack(rows)
    padding = after[:, MASK == 0]
    assert bool((padding == 0).all()) and not bool(torch.signbit(padding).any()), name + ': padding changed'
    put(name + '.params', after.numpy())
    put(name + '.lr', np.array(lrs, dtype=np.float64))


def constant(lr):
    return [lr] * STEPS


def sgd(**kw):
    return lambda params: torch.optim.SGD(params, lr=0.1, foreach=False, **kw)


def adamw(**kw):
    return lambda params: torch.optim.AdamW(params, lr=1e-3, foreach=False, **kw)


run('sgd_plain', sgd(), constant(0.1))
run('sgd_momentum', sgd(momentum=0.9, weight_decay=5e-4), constant(0.1))
run('sgd_nesterov', sgd(momentum=0.9, weight_decay=5e-4, nesterov=True), constant(0.1))
run('sgd_dampening', sgd(momentum=0.9, dampening=0.1, weight_decay=5e-4), constant(0.1))
run('sgd_warmup_cosine', sgd(momentum=0.9, weight_decay=5e-4),
    [warmup(cosine(0.1, 0.001, 4), 0.25, 2)(t) for t in range(STEPS)])
run('adamw', adamw(weight_decay=0.01), constant(1e-3))
run('adamw_betas', adamw(betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05), constant(3e-3))
run('adamw_amsgrad', adamw(weight_decay=0.01, amsgrad=True), constant(1e-3))
run('adamw_step_decay', adamw(weight_decay=0.01), [step_decay(1e-3, 2, 0.5)(t) for t in range(STEPS)])


# ---- gradient clipping ------------------------------------------------------------------------------------------

CLIP = masked(torch.randn(P, generator=gen) * 3)
put('clip.grads', CLIP.numpy())
for max_norm in (1, 1000):
    p = torch.nn.Parameter(torch.zeros(P))
    p.grad = CLIP.clone()
    norm = torch.nn.utils.clip_grad_norm_([p], max_norm)
    if max_norm == 1:
        put('clip.norm', norm.reshape(1).numpy())
    put(f'clip.max{max_norm}.grads', p.grad.numpy())


# ---- losses -----------------------------------------------------------------------------------------------------

def cross_entropy(name, logits, labels, smoothing):
    """logits: float32 [n, C] as PyTorch holds them; stored channel-major [C, n]."""
    x = logits.double().requires_grad_()
    loss = torch.nn.functional.cross_entropy(x, labels, label_smoothing=smoothing)
    loss.backward()
    x32 = logits.clone().requires_grad_()
    loss32 = torch.nn.functional.cross_entropy(x32, labels, label_smoothing=smoothing)
    loss32.backward()
    assert abs(loss32.item() - loss.item()) <= 1e-5 * max(1.0, abs(loss.item())), (name, loss32.item(), loss.item())
    print(f'  {name:22s} loss {loss.item():.9g} (float32 torch {loss32.item():.9g})')
    put(name + '.logits', logits.t().contiguous().numpy())
    put(name + '.labels', labels.numpy().astype(np.int64))
    put(name + '.smoothing', np.array([smoothing], dtype=np.float64))
    put(name + '.loss', np.array([loss.item()], dtype=np.float64))
    put(name + '.grad', x.grad.t().contiguous().float().numpy())


print('cross-entropy:')
logits = torch.randn(5, 7, generator=gen) * 2
labels = torch.tensor([3, 0, 6, 3, 1])
cross_entropy('ce', logits, labels, 0.0)
cross_entropy('ce_smooth', logits, labels, 0.1)
big = (torch.randn(4, 10, generator=gen) * 1e4).float()
cross_entropy('ce_huge', big, torch.tensor([2, 9, 0, 5]), 0.2)
cross_entropy('ce_single', torch.randn(1, 3, generator=gen), torch.tensor([2]), 0.0)

prediction = torch.randn(3, 6, generator=gen)  # [n, F]
target = torch.randn(3, 6, generator=gen)
x = prediction.clone().requires_grad_()
torch.nn.functional.mse_loss(x, target).backward()
put('mse.prediction', prediction.t().contiguous().numpy())
put('mse.target', target.t().contiguous().numpy())
put('mse.loss', np.array([torch.nn.functional.mse_loss(prediction.double(), target.double()).item()], dtype=np.float64))
put('mse.grad', x.grad.t().contiguous().numpy())


# ---- safetensors, written by hand -------------------------------------------------------------------------------

DTYPES = {np.dtype(np.float32): 'F32', np.dtype(np.float64): 'F64', np.dtype(np.int64): 'I64'}


def write_safetensors(path, named, metadata):
    header = {'__metadata__': metadata}
    blobs = []
    offset = 0
    for name in sorted(named):
        array = named[name]
        data = array.astype(array.dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': DTYPES[array.dtype], 'shape': list(array.shape),
                        'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)  # pad so the data starts 8-byte aligned, as the reference writer does
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


write_safetensors(os.path.normpath(OUT), tensors,
                  {'generator': 'runtime/src/test/python/make_optim_golden.py', 'torch': torch.__version__})
print('wrote', os.path.normpath(OUT), len(tensors), 'tensors', file=sys.stderr)
