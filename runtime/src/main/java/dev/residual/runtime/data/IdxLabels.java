package dev.residual.runtime.data;

import java.util.Objects;

/** Class labels as read from an IDX file: {@code count} labels, each in {@code [0, classes)}. Immutable. */
public final class IdxLabels {

    private final String source;
    private final long declaredCount;
    private final int classes;
    private final int[] labels;

    /**
     * Labels made in memory (e.g. for a test); {@code labels} is copied.
     *
     * @param source  a name for messages
     * @param classes how many classes; every label must be in {@code [0, classes)}
     * @throws IllegalArgumentException for a label out of range, naming its index
     */
    public IdxLabels(String source, int classes, int[] labels) {
        this(source, labels.length, classes, labels.clone());
        Idx.checkClasses(classes);
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException(source + ": label " + labels[i] + " at index " + i
                        + " is outside 0.." + (classes - 1) + " (" + classes + " classes)");
            }
        }
    }

    /** Takes {@code labels} without a copy; the reader's constructor. */
    IdxLabels(String source, long declaredCount, int classes, int[] labels) {
        this.source = Objects.requireNonNull(source, "source");
        this.declaredCount = declaredCount;
        this.classes = classes;
        this.labels = labels;
    }

    /** The file's path, or the class-path resource's name. */
    public String source() {
        return source;
    }

    /** How many labels were loaded: the file's count, or fewer when a limit was given. */
    public int count() {
        return labels.length;
    }

    /** How many labels the file's header declares (its whole content, whatever the limit). */
    public long declaredCount() {
        return declaredCount;
    }

    /** The class count the labels were checked against. */
    public int classes() {
        return classes;
    }

    /** The label of sample {@code index}. */
    public int label(int index) {
        return labels[Objects.checkIndex(index, labels.length)];
    }

    /** A copy of the labels. */
    public int[] labels() {
        return labels.clone();
    }

    /** The labels without a copy, for this package. */
    int[] raw() {
        return labels;
    }

    @Override
    public String toString() {
        return labels.length + " labels (" + classes + " classes) from " + source;
    }
}
