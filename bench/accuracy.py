#!/usr/bin/env python3
"""The demo's accuracy against PyTorch's, over seeds: issue 5's bar ("test accuracy after 3 epochs at least what
PyTorch reaches with the same recipe") measured with enough runs to tell a real gap from the spread between seeds.

For each seed it runs `./residual train --epochs E --seed S` and `bench/pytorch/train_resnet20.py --epochs E --seed S`
(the same recipe; see that script; since 2026-11-28 the same seed also means the same initial weights and the same
data orders on both sides, so a pair of runs differs only in arithmetic), a few runs at a time, and keeps each run's output in OUT/ours-S.log and
OUT/pytorch-S.log (per-step losses in OUT/ours-S/history.csv and OUT/pytorch-S.csv). A seed whose log already holds
a RESULT line is not run again, so runs add up across sessions. Then it prints one row per seed, each side's mean
and standard deviation, and Welch's t for the difference of the means.

  /usr/bin/python3 bench/accuracy.py --seeds 1-4 --threads 1 --jobs 2 --out runs/accuracy
  /usr/bin/python3 bench/accuracy.py --out runs/accuracy --summarize      # the table of what is there

With --swap-orders (which now changes nothing, both sides drawing the same orders) each side trains on the other's
data orders: ours on the torch.randperm orders PyTorch draws for
the seed, PyTorch on the orders ours draws (both written first to OUT/orders/ with each program's --write-order). Use
its own OUT folder. Whether the gap follows the orders or the framework tells the data order's part from the rest.

  /usr/bin/python3 bench/accuracy.py --seeds 1-4 --swap-orders --out runs/accuracy-swapped

Accuracy does not depend on the machine being quiet; the images/s in the logs do, and with --jobs 2 they are not
comparable with a quiet run. On 2 cores one run takes about 45 minutes on our side and 25 on PyTorch's at 1 thread.
"""
import argparse
import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
RESULT = re.compile(r"^RESULT .*test_accuracy=([0-9.]+) train_images_per_s=([0-9.]+)", re.M)
SIDES = ("ours", "pytorch")


def seeds(text):
    """'1-4,7' -> [1, 2, 3, 4, 7]."""
    out = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        out.extend(range(int(low), int(high or low) + 1))
    return out


def log_path(out, side, seed):
    return os.path.join(out, f"{side}-{seed}.log")


def result(out, side, seed):
    """(test accuracy, images/s) from a finished run's log, or None."""
    try:
        with open(log_path(out, side, seed)) as f:
            found = RESULT.findall(f.read())
    except FileNotFoundError:
        return None
    return (float(found[-1][0]), float(found[-1][1])) if found else None


def order_path(out, side, seed):
    return os.path.join(out, "orders", f"{side}-{seed}.bin")


def program(side):
    if side == "ours":
        return [os.path.join(ROOT, "residual"), "train"]
    return ["/usr/bin/python3", os.path.join(ROOT, "bench", "pytorch", "train_resnet20.py")]


def common(seed, args):
    options = ["--epochs", str(args.epochs), "--seed", str(seed)]
    return options + ["--limit", str(args.limit)] if args.limit else options


def write_orders(seed, args):
    """Each side's orders for this seed, for --swap-orders."""
    env = dict(os.environ, RESIDUAL_SKIP_BUILD="1")
    for side in SIDES:
        subprocess.check_call(program(side) + common(seed, args) + ["--write-order", order_path(args.out, side, seed)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def command(side, seed, args):
    options = common(seed, args) + ["--threads", str(args.threads)]
    if args.swap_orders:
        options += ["--order", order_path(args.out, "pytorch" if side == "ours" else "ours", seed)]
    if side == "ours":
        return program(side) + options + ["--out", os.path.join(args.out, f"ours-{seed}")]
    return program(side) + options + ["--history", os.path.join(args.out, f"pytorch-{seed}.csv")]


def run(side, seed, args):
    with open(log_path(args.out, side, seed), "w") as log:
        env = dict(os.environ, RESIDUAL_SKIP_BUILD="1")  # built once before the runs start
        code = subprocess.call(command(side, seed, args), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    found = result(args.out, side, seed)
    print(f"# {side} seed {seed}: " + (f"test accuracy {found[0]:.4f}" if found else f"failed (exit {code})"),
          flush=True)


def mean_sd(values):
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else float("nan")
    return mean, sd


def two_sided_p(t, df, steps=20000):
    """P(|T| > |t|) for Student's t with df degrees of freedom: Simpson's rule on the density (no SciPy here)."""
    scale = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    # substitute x = |t| + u / (1 - u), u in [0, 1), so the infinite tail becomes a finite interval
    def integrand(u):
        x = abs(t) + u / (1 - u)
        return scale * (1 + x * x / df) ** (-(df + 1) / 2) / (1 - u) ** 2
    h = (1 - 1e-9) / steps
    total = integrand(0) + integrand(steps * h)
    total += sum((4 if i % 2 else 2) * integrand(i * h) for i in range(1, steps))
    return min(1.0, 2 * total * h / 3)


def summarize(out, wanted):
    found = {side: {} for side in SIDES}
    for name in os.listdir(out):
        match = re.fullmatch(r"(ours|pytorch)-(\d+)\.log", name)
        if match and (wanted is None or int(match.group(2)) in wanted):
            value = result(out, match.group(1), int(match.group(2)))
            if value:
                found[match.group(1)][int(match.group(2))] = value[0]
    print("| seed | ours | PyTorch |")
    print("| ---: | ---: | ---: |")
    for seed in sorted(set(found["ours"]) | set(found["pytorch"])):
        cells = [f"{found[side][seed]:.4f}" if seed in found[side] else "" for side in SIDES]
        print(f"| {seed} | {cells[0]} | {cells[1]} |")
    stats = {side: mean_sd(list(found[side].values())) for side in SIDES if found[side]}
    for side in SIDES:
        if side in stats:
            print(f"{side}: {len(found[side])} runs, mean {stats[side][0]:.4f}, sd {stats[side][1]:.4f}")
    if len(stats) == 2 and min(len(found[s]) for s in SIDES) > 1:
        (m1, s1), (m2, s2) = stats["ours"], stats["pytorch"]
        n1, n2 = len(found["ours"]), len(found["pytorch"])
        v1, v2 = s1 ** 2 / n1, s2 ** 2 / n2
        if v1 + v2 > 0:
            t = (m1 - m2) / math.sqrt(v1 + v2)
            df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))  # Welch-Satterthwaite
            print(f"difference ours - PyTorch: {m1 - m2:+.4f} ({100 * (m1 - m2):+.2f} points), Welch t {t:+.2f}, "
                  f"{df:.1f} degrees of freedom, two-sided p {two_sided_p(t, df):.3f}")
        print(f"ACCURACY ours={m1:.4f} pytorch={m2:.4f} runs_ours={n1} runs_pytorch={n2}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1-4", help="seeds to run, e.g. 1-4 or 1,3,5 (default 1-4)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="threads per run (default 1)")
    parser.add_argument("--limit", type=int, help="train on the first N images only (a smoke test of the script)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2: one per core at 1 thread)")
    parser.add_argument("--sides", default="ours,pytorch", help="which sides to run (default both)")
    parser.add_argument("--out", default=os.path.join(ROOT, "runs", "accuracy"))
    parser.add_argument("--swap-orders", action="store_true",
                        help="each side trains on the other's data orders for the seed (use a separate --out)")
    parser.add_argument("--summarize", action="store_true", help="only print the table of the runs in --out")
    args = parser.parse_args()
    args.out = os.path.abspath(args.out)
    os.makedirs(args.out, exist_ok=True)
    wanted = None if args.summarize else set(seeds(args.seeds))
    if not args.summarize:
        sides = [s for s in args.sides.split(",") if s in SIDES]
        todo = [(side, seed) for seed in sorted(wanted) for side in sides if result(args.out, side, seed) is None]
        if any(side == "ours" for side, _ in todo) or args.swap_orders:
            # builds once (the launcher's build step), so the runs below can skip it
            subprocess.check_call([os.path.join(ROOT, "residual"), "train", "--help"], cwd=ROOT,
                                  stdout=subprocess.DEVNULL)
        if args.swap_orders:
            os.makedirs(os.path.join(args.out, "orders"), exist_ok=True)
            for seed in sorted({seed for _, seed in todo}):
                write_orders(seed, args)
        with ThreadPoolExecutor(args.jobs) as pool:
            for done in [pool.submit(run, side, seed, args) for side, seed in todo]:
                done.result()  # re-raises what went wrong in a run (a log that could not be written, ...)
    summarize(args.out, wanted)


if __name__ == "__main__":
    main()
