#!/usr/bin/env python3
"""Side-by-side comparison, in one session on this machine: the generated code, the interpreter (JMH, sample mode,
medians, -prof gc) and PyTorch (eager; for a ResNet's inference also TorchScript frozen + optimize_for_inference),
same thread count. Prints one table and one line per workload and peer:

  RATIO workload=<train_b128|train_b64|infer_b1|infer_b64|infer_b128> peer=<interpreter|pytorch_eager|torchscript> speedup=<x.xx>

and for --model charmodel (the Transformer; batch 32 unless the name ends in _b1):

  RATIO workload=<charmodel_train|charmodel_train_b1|charmodel_infer|charmodel_infer_b1> peer=<interpreter|pytorch_eager> speedup=<x.xx>

speedup = peer median time / generated median time. Run through bench/compare.sh (which builds first).

The JVM peers run in --rounds rounds (default 3): each round forks one JVM per engine and workload, the generated code
and the interpreter of a workload one after the other. The interpreter's speedup is the geometric mean of the rounds'
own ratios, each of two medians measured minutes apart at most, so a busy minute or one fork's unlucky JIT weighs on
one round's pair rather than on one engine. The table's times are medians over the samples of all rounds; the
PyTorch peers' speedups are against those. The script prints each round's ratio too.
"""
import argparse
import collections
import datetime
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

WORKLOADS = ("train_b128", "train_b64", "infer_b1", "infer_b64", "infer_b128")
CHARMODEL_WORKLOADS = ("charmodel_train", "charmodel_train_b1", "charmodel_infer", "charmodel_infer_b1")
PEERS = ("interpreter", "pytorch_eager", "torchscript")
HERE = os.path.dirname(os.path.abspath(__file__))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks():
    """(busy, total) jiffies of all CPUs from /proc/stat; busy counts steal time too (time we did not get)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


def run_watched(label, command, warnings):
    """Runs a command; warns when processes other than it used more than 10% of a core meanwhile."""
    busy0, _ = cpu_ticks()
    own0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - start
    busy1, _ = cpu_ticks()
    own1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = (own1.ru_utime - own0.ru_utime) + (own1.ru_stime - own0.ru_stime)
    others = max(0.0, (busy1 - busy0) / CLOCK_TICKS - own) / max(wall, 1e-9)
    line = f"# {label}: {wall:.0f} s, other processes used {others * 100:.0f}% of a core"
    print(line, flush=True)
    if others > 0.10:
        warnings.append(f"WARNING: during {label}, other processes used {others * 100:.0f}% of a core (> 10%): "
                        "its times are not trustworthy; run again on a quiet machine")
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:])
        raise SystemExit(f"{label} failed with exit code {result.returncode}: {' '.join(command)}")
    return result.stdout


def workload_name(model, method, batch):
    """train_b64, infer_b1, ...; for the Transformer charmodel_train (batch 32), charmodel_infer_b1, ..."""
    kind = "train" if method == "trainStep" else "infer"
    if model == "charmodel":
        return f"charmodel_{kind}" + ("_b1" if batch == "1" else "")
    return f"{kind}_b{batch}"


def batch_of(workload):
    if workload.startswith("charmodel"):
        return 1 if workload.endswith("_b1") else 32
    return int(workload.split("_b")[1])


class Timing(collections.namedtuple("Timing", "ms step_bytes jvm_bytes samples calls",
                                    defaults=(None, None, None, None))):
    """A peer's median ms for a workload; for the JVM peers also the bytes one call allocates on the threads that run
    it (bench StepAllocation: over all measurement iterations, and over the last), JMH's gc.alloc.rate.norm (every
    thread of the JVM, per call), the samples the median is of, as (ms, count) pairs, and (calls that allocated
    anything, calls) over the measurement iterations."""


def median(samples):
    """The median of (value, count) pairs, as JMH takes it: the smallest value with half of the counts at or below."""
    ordered = sorted(samples)
    total = sum(count for _, count in ordered)
    seen = 0
    for value, count in ordered:
        seen += count
        if 2 * seen >= total:
            return value
    raise ValueError("no samples")


def pooled(rounds):
    """One Timing per (engine, workload) from several rounds' Timings: the median of all their samples; the mean of the
    bytes over all measurement iterations and the largest of the last iterations' (the worst round shown)."""
    times = {}
    for key in rounds[0]:
        timings = [round_times[key] for round_times in rounds]
        samples = [pair for timing in timings for pair in timing.samples]
        steps = [timing.step_bytes for timing in timings if timing.step_bytes is not None]
        jvm = [timing.jvm_bytes for timing in timings if timing.jvm_bytes is not None]
        calls = [timing.calls for timing in timings if timing.calls is not None]
        times[key] = Timing(median(samples),
                            (sum(all_calls for all_calls, _ in steps) / len(steps), max(last for _, last in steps))
                            if steps else None,
                            sum(jvm) / len(jvm) if jvm else None, samples,
                            (sum(a for a, _ in calls), sum(n for _, n in calls)) if calls else None)
    return times


def jmh(args, method, batches, warnings, label=""):
    """Median ms and allocation per (engine, workload) from one JMH run of <Benchmark>.<method>."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    benchmark, model = ("CharModelBenchmark", []) if args.model == "charmodel" else \
        ("NetworkBenchmark", ["-p", f"model={args.model}"])
    command = [args.java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-jar", args.jar, f"{benchmark}.{method}$", *model,
               "-p", f"batch={batches}", "-p", f"threads={args.threads}",
               "-p", "engine=generated,interpreter", "-bm", "sample", "-tu", "ms", "-prof", "gc",
               "-rf", "json", "-rff", path] + jmh_options(args, method).split()
    output = run_watched(f"JMH {benchmark}.{method} (generated, interpreter){label}", command, warnings)
    with open(path) as f:
        results = json.load(f)
    os.unlink(path)
    step_bytes = {}
    calls = {}
    for line in output.splitlines():
        if "STEP_ALLOC " in line:  # JMH may print the fork's line after its own "Iteration N: "
            fields = dict(field.split("=", 1) for field in line.split("STEP_ALLOC ", 1)[1].split())
            params = dict(pair.split("=", 1) for pair in fields["params"].split(","))
            step_bytes[(params["engine"], params["batch"])] = (float(fields["bytes_per_call"]),
                                                               float(fields["last_iteration_bytes_per_call"]))
            calls[(params["engine"], params["batch"])] = (int(fields["allocating_calls"]), int(fields["calls"]))
    times = {}
    for result in results:
        params = result["params"]
        workload = workload_name(args.model, method, params["batch"])
        jvm = result.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        samples = [(value, count) for fork in result["primaryMetric"]["rawDataHistogram"] for iteration in fork
                   for value, count in iteration]
        engine_batch = (params["engine"], params["batch"])
        times[(params["engine"], workload)] = Timing(median(samples), step_bytes.get(engine_batch), jvm, samples,
                                                     calls.get(engine_batch))
    return times


def jmh_options(args, method):
    """--jmh-options when given; else a round's warm-up and measurement. The training step warms up for 20 s and
    inference for 15 s: until the JIT has settled (about 70 training steps, 170 passes at batch 128), HotSpot still does
    one-off work on the calling thread that StepAllocation counts (a C2 compile request interns its class's string
    constants; a method handle's 128th call compiles its customized form), which 6 s of warm-up left in the measured
    iterations at batch 64 and 128."""
    if args.jmh_options:
        return args.jmh_options
    warmup = "-wi 5 -w 4" if method == "trainStep" else "-wi 5 -w 3"
    return f"{warmup} -i 3 -r 2 -f 1"


def jvm_peers(args, warnings):
    """The generated code and the interpreter, every workload, in args.rounds rounds, pooled (module docstring)."""
    transformer = args.model == "charmodel"
    rounds = []
    for number in range(1, args.rounds + 1):
        label = f", round {number} of {args.rounds}" if args.rounds > 1 else ""
        times = jmh(args, "forward", "1,32" if transformer else "1,64,128", warnings, label)
        times.update(jmh(args, "trainStep", "1,32" if transformer else "64,128", warnings, label))
        rounds.append(times)
    return pooled(rounds), rounds


def round_ratio(round_times, peer, workload):
    """peer median / generated median within one round."""
    return round_times[(peer, workload)].ms / round_times[("generated", workload)].ms


def speedup(peer, workload, times, rounds):
    """peer time / generated time: for a JVM peer, measured in every round, the geometric mean of the rounds' ratios of
    medians (paired in time); for PyTorch, its median against the generated code's over all rounds."""
    if all((peer, workload) in r for r in rounds):
        ratios = [round_ratio(r, peer, workload) for r in rounds]
        return math.prod(ratios) ** (1 / len(ratios))
    return times[(peer, workload)].ms / times[("generated", workload)].ms


def pytorch(args, warnings):
    if args.model == "charmodel":
        label, command = "PyTorch (eager)", [args.python, os.path.join(HERE, "pytorch", "char_model_step_time.py")]
    else:
        label, command = "PyTorch (eager, TorchScript)", [args.python, os.path.join(HERE, "pytorch", "step_time.py"),
                                                          "--model", args.model]
    command += ["--threads", str(args.threads), "--reps", str(args.reps), "--warmup", str(args.warmup)]
    output = run_watched(label, command, warnings)
    times = {}
    for line in output.splitlines():
        if line.startswith("#"):
            print(line)
        if line.startswith("TIME "):
            fields = dict(field.split("=", 1) for field in line.split()[1:])
            times[(fields["peer"], fields["workload"])] = Timing(float(fields["median_ms"]))
    return times


def forward_flops(args):
    output = subprocess.run([args.java, "-cp", args.jar, "dev.residual.bench.Flops", args.model],
                            stdout=subprocess.PIPE, text=True, check=True).stdout
    return int(output.split("forward_per_sample=")[1].split()[0])


def measured_peak(args, warnings):
    """The machine's fp32 peak on args.threads threads, by bench/peak/fma_peak.c (built here with gcc), or None."""
    source = os.path.join(HERE, "peak", "fma_peak.c")
    binary = os.path.join(HERE, "target", "fma_peak")
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    if not (" avx2" in flags and " fma" in flags):
        print("# peak: this CPU has no AVX2 and FMA, which bench/peak/fma_peak.c uses; pass --peak", flush=True)
        return None
    try:
        if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
            os.makedirs(os.path.dirname(binary), exist_ok=True)
            subprocess.run(["gcc", "-O2", "-mavx2", "-mfma", "-pthread", source, "-o", binary], check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"# peak: could not build bench/peak/fma_peak.c ({error}); pass --peak", flush=True)
        return None
    output = run_watched(f"fp32 peak (bench/peak/fma_peak.c, {args.threads} threads)", [binary, str(args.threads)],
                         warnings)
    return float(output.split("gflops=")[1].split()[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", choices=("resnet20", "resnet56", "charmodel"), default="resnet20")
    parser.add_argument("--peak", type=float,
                        help="the machine's fp32 peak, GFLOP/s (default: measured by bench/peak/fma_peak.c)")
    parser.add_argument("--jar", default=os.path.join(HERE, "target", "benchmarks.jar"))
    parser.add_argument("--java", default="java")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--jmh-options", help="JMH's options for every run (default: see jmh_options)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the JVM peers (default 3)")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    warnings = []
    peak_source = "given"
    if args.peak is None:
        args.peak, peak_source = measured_peak(args, warnings), "measured by bench/peak/fma_peak.c"
        if args.peak is None:
            args.peak, peak_source = 231.0, "shared/DESIGN.md's figure, not measured here"

    print(f"# compare {args.model}, {args.threads} threads, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{platform.node()} ({os.cpu_count()} CPUs), peak {args.peak:g} GFLOP/s ({peak_source})", flush=True)
    transformer = args.model == "charmodel"
    times, rounds = jvm_peers(args, warnings)
    times.update(pytorch(args, warnings))
    flops = forward_flops(args)

    print()
    workloads = CHARMODEL_WORKLOADS if transformer else WORKLOADS
    width = max(11, *(len(workload) for workload in workloads))
    print(f"{'workload':<{width}} {'generated ms':>13} {'B/op':>9} {'GFLOP/s':>8} {'% peak':>7} {'interpreter ms':>15} "
          f"{'B/op':>9} {'PyTorch ms':>11} {'TorchScript ms':>15}")
    for workload in workloads:
        generated = times[("generated", workload)]
        interp = times.get(("interpreter", workload), Timing(None))
        batch = batch_of(workload)
        # A training step is counted as 3 forward passes: forward, input gradients, weight gradients.
        work = flops * batch * (3 if workload.startswith("train") else 1)
        gflops = work / (generated.ms / 1000) / 1e9

        def cell(peer, width):
            value = times.get((peer, workload))
            return f"{value.ms:>{width}.2f}" if value else f"{'—':>{width}}"

        def bytes_cell(value):
            """all measurement iterations / the last one"""
            return f"{f'{value[0]:.0f}/{value[1]:.0f}':>9}" if value is not None else f"{'—':>9}"
        print(f"{workload:<{width}} {generated.ms:>13.2f} {bytes_cell(generated.step_bytes)} {gflops:>8.1f} "
              f"{gflops / args.peak * 100:>6.1f}% {cell('interpreter', 15)} {bytes_cell(interp.step_bytes)} "
              f"{cell('pytorch_eager', 11)} {cell('torchscript', 15)}")
    print()
    print("B/op: what one call allocates on the threads that run it (the caller and the residual-ops workers), over all "
          "measurement iterations / over the last one, after the JIT has had longest to compile.")
    print("JMH's gc.alloc.rate.norm, every thread of the JVM per call, JMH's own included: " + ", ".join(
        f"{workload} {times[('generated', workload)].jvm_bytes or 0:.0f} / "
        f"{times.get(('interpreter', workload), Timing(None)).jvm_bytes or 0:.0f}" for workload in workloads)
          + " (generated / interpreter)")
    print("Measured calls of the generated code that allocated anything at all: " + ", ".join(
        f"{workload} {times[('generated', workload)].calls[0]} of {times[('generated', workload)].calls[1]}"
        for workload in workloads if times[('generated', workload)].calls))
    print()
    if len(rounds) > 1:
        print("Each round's own ratio, interpreter / generated median ms: " + ", ".join(
            f"{workload} " + ", ".join(f"{round_ratio(r, 'interpreter', workload):.2f} "
                                       f"({r[('interpreter', workload)].ms:.2f} / {r[('generated', workload)].ms:.2f})"
                                       for r in rounds) for workload in workloads))
        print()
    for workload in workloads:
        for peer in PEERS:
            if (peer, workload) in times:
                print(f"RATIO workload={workload} peer={peer} speedup={speedup(peer, workload, times, rounds):.2f}")
    for warning in warnings:
        print(warning)


if __name__ == "__main__":
    main()
