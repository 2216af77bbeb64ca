package dev.residual.bench;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.Threads;
import dev.residual.runtime.data.Batches;
import dev.residual.runtime.data.Dataset;
import dev.residual.runtime.data.Idx;
import dev.residual.runtime.io.SafetensorsFile;
import dev.residual.samples.resnet.FashionMnist;
import dev.residual.samples.resnet.ResNet20Net;
import dev.residual.samples.resnet.TrainResNet20;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * One step of the demo's recipe from a state deep in a PyTorch run, compared with PyTorch's own step:
 * {@code bench/pytorch/resnet20_one_step.py} writes the state, the batch and PyTorch's result; this loads the state
 * as a checkpoint, steps the generated ResNet-20 once on the same batch on one thread, and prints, per tensor
 * (parameters, running statistics, momentum buffers), the largest difference relative to the tensor's largest value,
 * from PyTorch's float32 step and from the same step in float64.
 */
public final class OneStep {

    private OneStep() {}

    /** Per tensor, the largest difference relative to the tensor's largest value: ours − PyTorch's, and each − float64. */
    private record Difference(String name, double oursToTorch, double oursTo64, double torchTo64) {
        double worst() {
            return Math.max(oursToTorch, Math.max(oursTo64, torchTo64));
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: OneStep DIR   (DIR written by bench/pytorch/resnet20_one_step.py)");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Dataset train = FashionMnist.load(null, Dataset.Split.TRAIN, Idx.ALL, System.out);
        long[] indices = indices(dir.resolve("batch.safetensors"));
        int n = indices.length;
        float[] images = new float[n * ResNet20Net.INPUT_SIZE];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            train.copySample((int) indices[i], images, i * ResNet20Net.INPUT_SIZE);
            labels[i] = train.label((int) indices[i]);
        }
        try (ResNet20Net model = new ResNet20Net(Threads.gemm(1), 1)) {
            // the demo's defaults: rate 0.1, 3 epochs of batches of 128
            TrainResNet20.useRecipe(model, 0.1, 3L * new Batches(train, 128, 0, false).batchesPerEpoch());
            model.loadCheckpoint(dir.resolve("before.safetensors"));
            long step = model.step();
            float loss = model.trainStep(n, images, labels);
            Path ours = dir.resolve("ours.safetensors");
            model.saveCheckpoint(ours);
            System.out.printf(Locale.ROOT, "step %d on %d images: loss %.8f%n", step, n, loss);
            report(ours, dir.resolve("after.safetensors"), dir.resolve("after64.safetensors"));
        }
    }

    private static long[] indices(Path file) throws Exception {
        try (SafetensorsFile batch = SafetensorsFile.open(file)) {
            return batch.longs("indices");
        }
    }

    private static void report(Path oursFile, Path torchFile, Path float64File) throws Exception {
        List<Difference> differences = new ArrayList<>();
        try (SafetensorsFile ours = SafetensorsFile.open(oursFile);
             SafetensorsFile torch = SafetensorsFile.open(torchFile);
             SafetensorsFile exact = SafetensorsFile.open(float64File);
             Arena arena = Arena.ofConfined()) {
            for (String name : torch.entries().keySet()) {
                if (!name.equals("optimizer.step")) {
                    Tensor a = ours.tensor(name, arena), b = torch.tensor(name, arena), c = exact.tensor(name, arena);
                    differences.add(new Difference(name, relative(a, b), relative(a, c), relative(b, c)));
                }
            }
        }
        differences.sort(Comparator.comparingDouble(Difference::worst).reversed());
        System.out.printf(Locale.ROOT, "%d tensors. Largest differences, relative to each tensor's largest value:%n"
                + "  %-45s %13s %13s %13s%n", differences.size(), "tensor", "ours-PyTorch", "ours-float64",
                "PyTorch-f64");
        differences.stream().limit(10).forEach(d -> System.out.printf(Locale.ROOT, "  %-45s %13.2e %13.2e %13.2e%n",
                d.name(), d.oursToTorch(), d.oursTo64(), d.torchTo64()));
        System.out.printf(Locale.ROOT, "  worst over all tensors: ours-float64 %.2e, PyTorch-float64 %.2e%n",
                differences.stream().mapToDouble(Difference::oursTo64).max().orElse(0),
                differences.stream().mapToDouble(Difference::torchTo64).max().orElse(0));
    }

    /** max |a − b| / max |b|, or max |a − b| when b is all zeros. */
    private static double relative(Tensor a, Tensor b) {
        double worst = 0, scale = 0;
        for (long i = 0; i < b.size(); i++) {
            worst = Math.max(worst, Math.abs((double) a.get(i) - b.get(i)));
            scale = Math.max(scale, Math.abs(b.get(i)));
        }
        return scale == 0 ? worst : worst / scale;
    }
}
