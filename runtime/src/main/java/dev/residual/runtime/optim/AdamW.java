package dev.residual.runtime.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Adam with decoupled weight decay: torch 1.13's {@code torch.optim.AdamW} (single-tensor path,
 * {@code maximize=False}, {@code capturable=False}). At step {@code t}, per parameter:
 * <pre>
 * p = p·(1 − lr·weightDecay)
 * m = β1·m + (1 − β1)·g
 * v = β2·v + (1 − β2)·g²
 * vmax = max(vmax, v)                                   (amsgrad only; then vmax replaces v below)
 * denom = √v / √(1 − β2^t) + eps
 * p = p − (lr / (1 − β1^t))·m / denom
 * </pre>
 * The bias corrections and the step size are computed in double, as PyTorch computes them in Python; everything per
 * parameter is float, in PyTorch's order. State: {@code m} in slot 0, {@code v} in slot 1, {@code vmax} in slot 2 when
 * {@code amsgrad}; zeros before step 1.
 *
 * @param beta1       decay of the first moment, in [0, 1)
 * @param beta2       decay of the second moment, in [0, 1)
 * @param eps         added to the denominator; must be {@code > 0} (PyTorch also accepts 0, but then a padding
 *                    parameter, whose moments are 0, would become 0/0)
 * @param weightDecay decoupled weight decay, {@code >= 0}
 * @param amsgrad     the AMSGrad variant (keeps the running maximum of {@code v})
 */
public record AdamW(double beta1, double beta2, double eps, double weightDecay, boolean amsgrad) implements Optimizer {

    public AdamW {
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("beta1 is " + beta1 + "; it must be in [0, 1)");
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta2 is " + beta2 + "; it must be in [0, 1)");
        }
        if (!(eps > 0) || eps == Double.POSITIVE_INFINITY || (float) eps == 0) {
            throw new IllegalArgumentException("eps is " + eps + "; it must be a finite number > 0 that stays > 0 in"
                    + " float (a zero eps makes zero padding 0/0)");
        }
        Checks.nonNegative("weightDecay", weightDecay);
    }

    /** PyTorch's defaults: β = (0.9, 0.999), eps 1e-8, weight decay 0.01, no AMSGrad. */
    public AdamW() {
        this(0.9, 0.999, 1e-8, 0.01, false);
    }

    /** PyTorch's default betas and eps with the given weight decay. */
    public AdamW(double weightDecay) {
        this(0.9, 0.999, 1e-8, weightDecay, false);
    }

    @Override
    public int stateSlots() {
        return amsgrad ? 3 : 2;
    }

    @Override
    public void step(MemorySegment params, long paramsOff, MemorySegment grads, long gradsOff, MemorySegment state,
                     long stateOff, long floats, long step, double lr) {
        Checks.update(params, paramsOff, grads, gradsOff, state, stateOff, floats, stateSlots(), step, lr);
        // The Python-side scalars of adamw.py, in double; PyTorch then converts each to float where it is used.
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
        float decay = (float) (1 - lr * weightDecay);
        float b1 = (float) beta1, c1 = (float) (1 - beta1);
        float b2 = (float) beta2, c2 = (float) (1 - beta2);
        float bc2 = (float) biasCorrection2Sqrt, epsilon = (float) eps, negStep = (float) -stepSize;
        long m0 = stateOff, v0 = stateOff + floats;
        if (amsgrad) {
            amsgrad(params, paramsOff, grads, gradsOff, state, m0, v0, v0 + floats, floats, decay, b1, c1, b2, c2,
                    bc2, epsilon, negStep);
        } else {
            adam(params, paramsOff, grads, gradsOff, state, m0, v0, floats, decay, b1, c1, b2, c2, bc2, epsilon,
                    negStep);
        }
    }

    private static void adam(MemorySegment params, long p0, MemorySegment grads, long g0, MemorySegment state,
                             long m0, long v0, long floats, float decay, float b1, float c1, float b2, float c2,
                             float bc2, float eps, float negStep) {
        for (long i = 0; i < floats; i++) {
            float p = params.getAtIndex(JAVA_FLOAT, p0 + i) * decay;                     // param.mul_(1 - lr*wd)
            float g = grads.getAtIndex(JAVA_FLOAT, g0 + i);
            float m = Math.fma(g, c1, state.getAtIndex(JAVA_FLOAT, m0 + i) * b1);       // mul_(b1).add_(g, 1-b1)
            float v = Math.fma(c2 * g, g, state.getAtIndex(JAVA_FLOAT, v0 + i) * b2);   // mul_(b2).addcmul_(g, g)
            state.setAtIndex(JAVA_FLOAT, m0 + i, m);
            state.setAtIndex(JAVA_FLOAT, v0 + i, v);
            float denom = (float) Math.sqrt(v) / bc2 + eps;                              // (v.sqrt() / bc2).add_(eps)
            params.setAtIndex(JAVA_FLOAT, p0 + i, p + negStep * m / denom);              // addcdiv_(m, denom, -step)
        }
    }

    private static void amsgrad(MemorySegment params, long p0, MemorySegment grads, long g0, MemorySegment state,
                                long m0, long v0, long x0, long floats, float decay, float b1, float c1, float b2,
                                float c2, float bc2, float eps, float negStep) {
        for (long i = 0; i < floats; i++) {
            float p = params.getAtIndex(JAVA_FLOAT, p0 + i) * decay;
            float g = grads.getAtIndex(JAVA_FLOAT, g0 + i);
            float m = Math.fma(g, c1, state.getAtIndex(JAVA_FLOAT, m0 + i) * b1);
            float v = Math.fma(c2 * g, g, state.getAtIndex(JAVA_FLOAT, v0 + i) * b2);
            float vmax = Math.max(state.getAtIndex(JAVA_FLOAT, x0 + i), v);              // torch.maximum
            state.setAtIndex(JAVA_FLOAT, m0 + i, m);
            state.setAtIndex(JAVA_FLOAT, v0 + i, v);
            state.setAtIndex(JAVA_FLOAT, x0 + i, vmax);
            float denom = (float) Math.sqrt(vmax) / bc2 + eps;
            params.setAtIndex(JAVA_FLOAT, p0 + i, p + negStep * m / denom);
        }
    }
}
