package dev.residual.processor.graph;

import java.util.List;
import javax.lang.model.element.Element;

/**
 * One op applied to its inputs. {@code path} is where its parameters live in the checkpoint (e.g.
 * {@code stage2.0.shortcut.0}); {@code layer} is the user's method it belongs to, which names the generated code.
 */
public record Node(String path, String layer, Op op, List<Value> inputs, Value output, List<Param> params,
                   Element origin) {

    public Value input() {
        return inputs.get(0);
    }
}
