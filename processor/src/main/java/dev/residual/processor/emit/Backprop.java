package dev.residual.processor.emit;

import dev.residual.processor.graph.Value;
import dev.residual.processor.plan.MemoryPlan;
import dev.residual.processor.plan.Step;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who writes which gradient first. The backward pass runs the steps in reverse; a value read by several steps (a
 * residual block's input: the branch and the shortcut) receives one gradient from each. The first step to run
 * backward overwrites the value's gradient buffer, the later ones add to it — so nothing needs zeroing.
 */
public final class Backprop {

    private final Map<Step, Set<Value>> accumulating = new HashMap<>();

    public Backprop(MemoryPlan plan) {
        Set<Value> written = new HashSet<>();
        List<Step> steps = plan.steps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            Step step = steps.get(i);
            Set<Value> adds = new HashSet<>();
            for (Value input : step.inputsWithGradient()) {
                if (!written.add(input)) {
                    adds.add(input);
                }
            }
            accumulating.put(step, adds);
        }
    }

    /** Whether a step adds its gradient for {@code input} to what a later step already wrote. */
    public boolean accumulate(Step step, Value input) {
        return accumulating.get(step).contains(input);
    }
}
