package dev.residual.runtime.optim;

import java.lang.foreign.MemorySegment;

/**
 * An update rule applied in place to a flat block of parameters, once per training step.
 *
 * <p>The three blocks:
 * <ul>
 *   <li>{@code params}: {@code floats} parameters, updated in place;</li>
 *   <li>{@code grads}: their gradients, same layout; read only;</li>
 *   <li>{@code state}: the optimizer's own memory, {@link #stateSlots()} slots of {@code floats} floats each, slot
 *       {@code j} of parameter {@code i} at {@code stateOff + j·floats + i}. It must hold zeros before step 1 (memory
 *       from an {@link java.lang.foreign.Arena} does) and must not be touched by anything else between steps. Save it
 *       with the parameters to resume training exactly.</li>
 * </ul>
 * The blocks must not overlap. A parameter whose value and gradient are zero (padding between tensors) stays zero,
 * and so does its state, in every implementation.
 *
 * <p>To give groups of parameters different settings (say no weight decay on norms and biases), keep each group
 * contiguous and call {@code step} once per group with its offsets and its own optimizer; a group's state block is
 * then {@code stateSlots()·groupFloats} floats.
 *
 * <p>Implementations allocate nothing per call and check the block bounds before they write anything.
 */
public interface Optimizer {

    /** How many floats of state the optimizer keeps per parameter (0 for plain SGD). */
    int stateSlots();

    /** The state block size for {@code floats} parameters: {@code stateSlots() · floats}. */
    default long stateFloats(long floats) {
        return stateSlots() * floats;
    }

    /**
     * Applies one update.
     *
     * @param params    {@code floats} parameters at {@code paramsOff}, updated in place
     * @param grads     {@code floats} gradients at {@code gradsOff}; not modified
     * @param state     {@link #stateFloats(long) stateFloats(floats)} floats at {@code stateOff}; may be {@code null}
     *                  when {@link #stateSlots()} is 0
     * @param floats    the number of parameters
     * @param step      the 1-based number of this update, counting it: 1 on the first call, then 2, 3, … (PyTorch's
     *                  {@code state['step']} after its increment). Momentum buffers are initialized at step 1 and
     *                  Adam's bias corrections use it, so restarting at 1 restarts the optimizer.
     * @param lr        the learning rate of this update, e.g. {@code schedule.at(step - 1)} (see
     *                  {@link LearningRate}); must be finite and {@code >= 0}
     * @throws IllegalArgumentException for a negative {@code floats} or offset, a block too small for its
     *                                  offset and size, {@code step < 1} or a bad {@code lr}; nothing is written then
     */
    void step(MemorySegment params, long paramsOff, MemorySegment grads, long gradsOff, MemorySegment state,
              long stateOff, long floats, long step, double lr);

    /** {@link #step(MemorySegment, long, MemorySegment, long, MemorySegment, long, long, long, double)} with every
     *  block starting at offset 0: the whole parameter block of a model. */
    default void step(MemorySegment params, MemorySegment grads, MemorySegment state, long floats, long step,
                      double lr) {
        step(params, 0, grads, 0, state, 0, floats, step, lr);
    }
}
