package dev.residual.runtime.io;

import java.io.IOException;
import java.io.Serial;
import java.nio.file.Path;
import java.util.List;

/**
 * A valid safetensors file does not fit the tensors it was loaded into. One exception reports every difference at
 * once, so a user fixes the checkpoint or the model in one go rather than one name per run.
 */
public final class CheckpointMismatchException extends IOException {

    @Serial
    private static final long serialVersionUID = 1L;

    // transient: the lists serve the caller that caught the exception; the message carries them everywhere else
    private final transient List<String> missing;
    private final transient List<String> unexpected;
    private final transient List<String> misshaped;
    private final transient List<String> wrongDtype;

    /**
     * @param missing    names the model has and the file lacks
     * @param unexpected names the file has and the model lacks
     * @param misshaped  one line per tensor whose shape differs, e.g. {@code fc.weight: model [10, 64], file [10, 32]}
     * @param wrongDtype one line per tensor stored as something other than F32, e.g. {@code fc.weight: file F16}
     */
    public CheckpointMismatchException(Path file, List<String> missing, List<String> unexpected,
            List<String> misshaped, List<String> wrongDtype) {
        super(message(file, missing, unexpected, misshaped, wrongDtype));
        this.missing = List.copyOf(missing);
        this.unexpected = List.copyOf(unexpected);
        this.misshaped = List.copyOf(misshaped);
        this.wrongDtype = List.copyOf(wrongDtype);
    }

    public List<String> missing() {
        return missing;
    }

    public List<String> unexpected() {
        return unexpected;
    }

    public List<String> misshaped() {
        return misshaped;
    }

    public List<String> wrongDtype() {
        return wrongDtype;
    }

    private static String message(Path file, List<String> missing, List<String> unexpected, List<String> misshaped,
            List<String> wrongDtype) {
        StringBuilder text = new StringBuilder(file + " does not match the model; nothing was loaded:");
        section(text, missing, "missing from the file (the model has them)");
        section(text, unexpected, "unexpected in the file (the model has no such tensor)");
        section(text, misshaped, "shape differs");
        section(text, wrongDtype, "dtype is not F32");
        text.append("\nCheck that the checkpoint was saved from the same architecture and configuration as the model.");
        // The commonest PyTorch slip: a state_dict saved from nn.DataParallel / DistributedDataParallel.
        if (!unexpected.isEmpty() && unexpected.stream().allMatch(name -> name.startsWith("module."))) {
            text.append(" The file's names start with \"module.\": it was saved from a DataParallel wrapper; save"
                    + " model.module.state_dict() instead, or strip the prefix.");
        }
        if (!wrongDtype.isEmpty()) {
            text.append(" Residual loads F32 only: convert in PyTorch with {k: v.float() for k, v in"
                    + " state_dict.items()} before saving.");
        }
        return text.toString();
    }

    private static void section(StringBuilder text, List<String> lines, String title) {
        if (lines.isEmpty()) {
            return;
        }
        text.append("\n  ").append(lines.size()).append(' ').append(title).append(':');
        for (String line : lines) {
            text.append("\n    ").append(line);
        }
    }
}
