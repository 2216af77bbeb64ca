package dev.residual.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A named view of float32 values in off-heap memory: a shape and a segment holding exactly
 * {@code product(shape)} floats, row-major over that shape. Views share memory with the model that made them;
 * reading one does not copy, writing one changes the model.
 *
 * @param name  the PyTorch-compatible name, e.g. {@code stage1.0.conv1.0.weight}
 * @param shape the dimensions, outermost first
 * @param data  the values, {@code product(shape) · 4} bytes
 */
public record Tensor(String name, int[] shape, MemorySegment data) {

    public Tensor {
        shape = shape.clone();
        long expected = elementCount(shape) * Float.BYTES;
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(name + ": a " + Arrays.toString(shape) + " tensor needs " + expected
                    + " bytes, the segment has " + data.byteSize());
        }
    }

    /** The dimensions (a copy). */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** How many floats. */
    public long size() {
        return elementCount(shape);
    }

    /** The value at a flat row-major index. */
    public float get(long index) {
        return data.getAtIndex(ValueLayout.JAVA_FLOAT, index);
    }

    /** Sets the value at a flat row-major index. */
    public void set(long index, float value) {
        data.setAtIndex(ValueLayout.JAVA_FLOAT, index, value);
    }

    /** A copy of the values. */
    public float[] toArray() {
        return data.toArray(ValueLayout.JAVA_FLOAT);
    }

    /** Overwrites the values from an array of exactly {@link #size()} floats. */
    public void copyFrom(float[] values) {
        if (values.length != size()) {
            throw new IllegalArgumentException(name + ": expected " + size() + " values, got " + values.length);
        }
        MemorySegment.copy(values, 0, data, ValueLayout.JAVA_FLOAT, 0, values.length);
    }

    /** The L2 norm of the values, summed in double so a large tensor loses no precision. */
    public double norm() {
        double sum = 0;
        for (long i = 0, n = size(); i < n; i++) {
            double value = get(i);
            sum += value * value;
        }
        return Math.sqrt(sum);
    }

    /** The product of the dimensions. */
    public static long elementCount(int[] shape) {
        long count = 1;
        for (int dimension : shape) {
            if (dimension < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            count *= dimension;
        }
        return count;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Tensor t && name.equals(t.name) && Arrays.equals(shape, t.shape) && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
