package dev.residual.samples.resnet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class OptionsTest {

    @Test
    void aMissingFileIsNamedAsMissing() {
        assertEquals("/data/init.safetensors: no such file (check the path given on the command line)",
                Options.describe(new NoSuchFileException("/data/init.safetensors")));
    }

    @Test
    void otherIoErrorsKeepTheirMessage() {
        assertEquals("disk full", Options.describe(new IOException("disk full")));
    }
}
