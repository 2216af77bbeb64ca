#!/usr/bin/env python3
"""Per-layer time breakdown of a generated model's step, from Java Flight Recorder samples.

Runs dev.residual.bench.StepLoop under JFR, then attributes every sample of the calling thread (Java and native —
OpenBLAS calls are native samples) to the generated layer method it is in (the innermost frame of the generated
class, e.g. stage1Block0Backward) and to the kernel (the innermost runtime frame: Im2col, BatchNorm, OpenBlasGemm, ...). Samples of the element-wise worker threads (residual-ops-N) are counted apart: they run on the other core
while the calling thread works on the same kernel. OpenBLAS's own threads are invisible to JFR.

  bench/layers.py [--model resnet20] [--mode train] [--batch 128] [--threads 2] [--seconds 60]
"""
import argparse
import collections
import os
import re
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="resnet20")
    parser.add_argument("--engine", default="generated")
    parser.add_argument("--mode", default="train", choices=("train", "forward"))
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--java", default="/usr/lib/jvm/temurin-25-jdk-amd64/bin/java")
    parser.add_argument("--jar", default=os.path.join(HERE, "target", "benchmarks.jar"))
    args = parser.parse_args()
    jfr_tool = os.path.join(os.path.dirname(args.java), "jfr")
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "step.jfr")
        subprocess.run([args.java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
                        f"-XX:StartFlightRecording=filename={recording},settings=profile",
                        "-cp", args.jar, "dev.residual.bench.StepLoop", args.model, args.engine, args.mode,
                        str(args.batch), str(args.threads), str(args.seconds)], check=True)
        text = subprocess.run([jfr_tool, "print", "--events", "jdk.ExecutionSample,jdk.NativeMethodSample",
                               "--stack-depth", "64", recording], check=True, capture_output=True,
                              text=True).stdout
    by_layer = collections.Counter()
    by_kernel = collections.Counter()
    workers = collections.Counter()
    total = 0
    for match in re.finditer(r"^jdk\.(ExecutionSample|NativeMethodSample) \{\n(.*?)^\}", text, re.M | re.S):
        event = match.group(2)
        frames = re.findall(r"^\s+([\w.$]+)\.([\w$<>]+)\(", event, re.M)
        thread = re.search(r'sampledThread = "([^"]*)"', event)
        if not frames or not thread:
            continue
        # the innermost runtime class: Im2col, BatchNorm, OpenBlasGemm (a native sample is inside OpenBLAS), ...
        runtime = [c.rsplit(".", 1)[1] for c, m in frames if c.startswith("dev.residual.runtime.")]
        kernel = runtime[0] if runtime else frames[0][0].rsplit(".", 1)[-1]
        if thread.group(1).startswith("residual-ops"):
            workers[kernel] += 1
            continue
        layer = next((m for c, m in frames if c.endswith("Net") and not c.startswith("dev.residual.runtime")), None)
        if layer is None:
            continue
        total += 1
        by_layer[re.sub(r"(Forward|Backward)$", r" \1", layer)] += 1
        by_kernel[kernel] += 1
    print(f"{args.model} {args.engine} {args.mode} batch {args.batch}, {args.threads} threads: {total} samples of "
          "the calling thread inside the model")
    print("\nlayer (method)                      share")
    for layer, count in by_layer.most_common():
        print(f"  {layer:32s} {100 * count / total:5.1f} %")
    print("\nkernel (innermost runtime class)    share")
    for kernel, count in by_kernel.most_common(12):
        print(f"  {kernel:32s} {100 * count / total:5.1f} %")
    if workers:
        print(f"\nelement-wise worker threads: {sum(workers.values())} samples "
              f"({100 * sum(workers.values()) / total:.0f} % of the calling thread's)")


if __name__ == "__main__":
    main()
