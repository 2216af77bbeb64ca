package dev.residual.runtime.gemm;

import java.util.List;

/**
 * A native library could not be loaded. The message lists every place that was tried, in order, and why each
 * failed (a missing file, a missing dependency named by the system loader, a missing symbol), and what to do.
 */
public final class NativeLibraryException extends RuntimeException {

    private final List<String> attempts;

    public NativeLibraryException(String summary, List<String> attempts, String advice) {
        super(summary + format(attempts) + "\n" + advice);
        this.attempts = List.copyOf(attempts);
    }

    /** One line per place tried: what was tried and why it failed. */
    public List<String> attempts() {
        return attempts;
    }

    private static String format(List<String> attempts) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < attempts.size(); i++) {
            text.append("\n  ").append(i + 1).append(". ").append(attempts.get(i));
        }
        return text.toString();
    }
}
