package dev.residual.samples.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.interpreter.Interpreter;
import dev.residual.samples.resnet.ResNet20Net;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A seed means what it means in PyTorch: ResNet-20 built with seed 1, generated or interpreted, holds bit for bit the
 * tensors PyTorch's {@code ResNet20()} of {@code bench/pytorch/train_resnet20.py} holds after
 * {@code torch.manual_seed(1)} ({@code golden/resnet20.init.sha256}, written by
 * {@code runtime/src/test/python/make_random_golden.py}). So the demo and the PyTorch script start from the same
 * weights for every seed.
 */
class InitParityTest {

    @Test
    void generatedResNet20FromSeedOneIsPyTorchsAfterManualSeedOne() throws Exception {
        try (ResNet20Net model = new ResNet20Net(Backends.defaultGemm(), 1)) {
            assertSameTensors(model::tensor);
        }
    }

    @Test
    void interpretedResNet20FromSeedOneIsPyTorchsToo() throws Exception {
        try (Interpreter interpreter = Interpreter.of(ResNet20Net.class, Backends.defaultGemm(), 1)) {
            assertSameTensors(interpreter::tensor);
        }
    }

    private static void assertSameTensors(Function<String, Tensor> tensors) throws Exception {
        Map<String, String> expected = digests();
        assertEquals(107, expected.size(), "tensors in the golden file");
        for (Map.Entry<String, String> entry : expected.entrySet()) {
            assertEquals(entry.getValue(), sha256(tensors.apply(entry.getKey())), entry.getKey());
        }
    }

    /** {@code name → SHA-256} from the golden file, whose lines read {@code <hex>  <name>}. */
    private static Map<String, String> digests() throws IOException {
        try (InputStream in = InitParityTest.class.getResourceAsStream("/golden/resnet20.init.sha256")) {
            assertNotNull(in, "golden/resnet20.init.sha256 is missing: run /usr/bin/python3"
                    + " runtime/src/test/python/make_random_golden.py");
            Map<String, String> digests = new LinkedHashMap<>();
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            for (String line : lines) {
                if (!line.startsWith("#")) {
                    String[] fields = line.split("  ", 2);
                    digests.put(fields[1], fields[0]);
                }
            }
            return digests;
        }
    }

    private static String sha256(Tensor tensor) throws NoSuchAlgorithmException {
        byte[] bytes = tensor.data().toArray(ValueLayout.JAVA_BYTE);
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("the golden digests are of little-endian floats");
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
