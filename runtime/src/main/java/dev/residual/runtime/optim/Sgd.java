package dev.residual.runtime.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov momentum: torch 1.13's
 * {@code torch.optim.SGD} (single-tensor path, {@code maximize=False}), per parameter:
 * <pre>
 * g = grad + weightDecay·p                           (skipped when weightDecay is 0)
 * if momentum ≠ 0:
 *     buf = g                                        on step 1
 *     buf = momentum·buf + (1 − dampening)·g         on later steps
 *     g   = nesterov ? g + momentum·buf : buf
 * p = p − lr·g
 * </pre>
 * in float, with the multiply-adds fused as PyTorch's AVX2 kernels fuse them (see the package documentation). The
 * state is the momentum buffer: one slot, none when {@code momentum} is 0. The buffer's contents before step 1 are
 * ignored.
 *
 * @param momentum    the momentum factor, {@code >= 0}; 0 for plain SGD
 * @param dampening   dampening of the gradient in the momentum buffer, {@code >= 0}; 0 usually
 * @param weightDecay the L2 penalty added to the gradient (coupled decay, unlike {@link AdamW}), {@code >= 0}
 * @param nesterov    Nesterov momentum; needs {@code momentum > 0} and {@code dampening == 0}, as in PyTorch
 */
public record Sgd(double momentum, double dampening, double weightDecay, boolean nesterov) implements Optimizer {

    public Sgd {
        Checks.nonNegative("momentum", momentum);
        Checks.nonNegative("dampening", dampening);
        Checks.nonNegative("weightDecay", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum > 0 and zero dampening (got"
                    + " momentum " + momentum + ", dampening " + dampening + ")");
        }
    }

    /** Plain SGD: no momentum, no weight decay. */
    public Sgd() {
        this(0, 0, 0, false);
    }

    /** SGD with (heavy-ball) momentum and weight decay, no dampening: the usual setting for residual networks. */
    public Sgd(double momentum, double weightDecay) {
        this(momentum, 0, weightDecay, false);
    }

    @Override
    public int stateSlots() {
        return momentum == 0 ? 0 : 1;
    }

    @Override
    public void step(MemorySegment params, long paramsOff, MemorySegment grads, long gradsOff, MemorySegment state,
                     long stateOff, long floats, long step, double lr) {
        Checks.update(params, paramsOff, grads, gradsOff, state, stateOff, floats, stateSlots(), step, lr);
        float negLr = (float) -lr;
        boolean decay = weightDecay != 0;
        float wd = (float) weightDecay;
        if (momentum == 0) {
            plain(params, paramsOff, grads, gradsOff, floats, decay, wd, negLr);
        } else if (step == 1) {
            first(params, paramsOff, grads, gradsOff, state, stateOff, floats, decay, wd, (float) momentum, nesterov,
                    negLr);
        } else {
            later(params, paramsOff, grads, gradsOff, state, stateOff, floats, decay, wd, (float) momentum,
                    (float) (1 - dampening), nesterov, negLr);
        }
    }

    /** {@code p += -lr·(grad + wd·p)}. */
    private static void plain(MemorySegment params, long p0, MemorySegment grads, long g0, long floats,
                              boolean decay, float wd, float negLr) {
        for (long i = 0; i < floats; i++) {
            float p = params.getAtIndex(JAVA_FLOAT, p0 + i);
            float g = grads.getAtIndex(JAVA_FLOAT, g0 + i);
            if (decay) {
                g = Math.fma(p, wd, g);               // d_p.add(param, alpha=weight_decay)
            }
            params.setAtIndex(JAVA_FLOAT, p0 + i, Math.fma(g, negLr, p)); // param.add_(d_p, alpha=-lr)
        }
    }

    /** Step 1: the buffer starts as a copy of the (decayed) gradient. */
    private static void first(MemorySegment params, long p0, MemorySegment grads, long g0, MemorySegment state,
                              long b0, long floats, boolean decay, float wd, float mu, boolean nesterov,
                              float negLr) {
        for (long i = 0; i < floats; i++) {
            float p = params.getAtIndex(JAVA_FLOAT, p0 + i);
            float g = grads.getAtIndex(JAVA_FLOAT, g0 + i);
            if (decay) {
                g = Math.fma(p, wd, g);
            }
            state.setAtIndex(JAVA_FLOAT, b0 + i, g);   // buf = torch.clone(d_p)
            float d = nesterov ? Math.fma(g, mu, g) : g; // d_p.add(buf, alpha=momentum), buf == d_p
            params.setAtIndex(JAVA_FLOAT, p0 + i, Math.fma(d, negLr, p));
        }
    }

    private static void later(MemorySegment params, long p0, MemorySegment grads, long g0, MemorySegment state,
                              long b0, long floats, boolean decay, float wd, float mu, float keep, boolean nesterov,
                              float negLr) {
        for (long i = 0; i < floats; i++) {
            float p = params.getAtIndex(JAVA_FLOAT, p0 + i);
            float g = grads.getAtIndex(JAVA_FLOAT, g0 + i);
            if (decay) {
                g = Math.fma(p, wd, g);
            }
            // buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
            float buf = Math.fma(g, keep, state.getAtIndex(JAVA_FLOAT, b0 + i) * mu);
            state.setAtIndex(JAVA_FLOAT, b0 + i, buf);
            float d = nesterov ? Math.fma(buf, mu, g) : buf;
            params.setAtIndex(JAVA_FLOAT, p0 + i, Math.fma(d, negLr, p));
        }
    }
}
