package regionvlp.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * AdamW with decoupled weight decay and bias correction, as {@code transformers.AdamW} computes it:
 *
 * <pre>
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 *   p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)   then   p -= lr * wd * p
 * </pre>
 *
 * The moment buffers live beside the parameters (same manager) and are created up front, so that a
 * per-step {@link NDScope} can never close them (STACK.md sharp edge 3). They are exposed for
 * checkpointing and exact resume.
 */
public final class AdamW {
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final Map<String, NDArray> params;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private long step;

  /**
   * @param params the parameters to update, by name (their manager owns the moments too)
   */
  public AdamW(Map<String, NDArray> params, double beta1, double beta2, double eps, double weightDecay) {
    this.params = params;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      m.put(e.getKey(), e.getValue().zerosLike());
      v.put(e.getKey(), e.getValue().zerosLike());
    }
  }

  /** Optimiser steps taken so far. */
  public long step() {
    return step;
  }

  /** First moments by parameter name. */
  public Map<String, NDArray> firstMoments() {
    return m;
  }

  /** Second moments by parameter name. */
  public Map<String, NDArray> secondMoments() {
    return v;
  }

  /**
   * Restores a checkpointed state: the step counter and both moments of every parameter, copied into the
   * existing buffers.
   *
   * @param first first moments by parameter name, row-major
   * @param second second moments by parameter name, row-major
   * @throws IllegalArgumentException if a parameter is missing or extra, or a size differs
   */
  public void restore(long step, Map<String, float[]> first, Map<String, float[]> second) {
    if (step < 0) {
      throw new IllegalArgumentException("optimizer step must be >= 0, found " + step);
    }
    check("first moments", first);
    check("second moments", second);
    for (String name : params.keySet()) {
      m.get(name).set(first.get(name));
      v.get(name).set(second.get(name));
    }
    this.step = step;
  }

  private void check(String what, Map<String, float[]> values) {
    Set<String> missing = new TreeSet<>(params.keySet());
    missing.removeAll(values.keySet());
    Set<String> extra = new TreeSet<>(values.keySet());
    extra.removeAll(params.keySet());
    if (!missing.isEmpty() || !extra.isEmpty()) {
      throw new IllegalArgumentException(what + " do not match the parameters: missing " + missing
          + ", unexpected " + extra);
    }
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      long expected = e.getValue().size();
      int found = values.get(e.getKey()).length;
      if (found != expected) {
        throw new IllegalArgumentException(what + " of '" + e.getKey() + "': expected " + expected
            + " values (shape " + e.getValue().getShape() + "), found " + found);
      }
    }
  }

  /**
   * Applies one update with learning rate {@code lr} from the gradients the last backward pass left on
   * the parameters, then zeroes them. Temporaries are closed before return.
   */
  public void update(double lr) {
    step++;
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2 = 1 - Math.pow(beta2, step);
    // The step size folds both bias corrections in, as transformers.AdamW does.
    float stepSize = (float) (lr * Math.sqrt(bc2) / bc1);
    try (NDScope ignored = new NDScope()) {
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        NDArray p = e.getValue();
        NDArray g = p.getGradient();
        NDArray mi = m.get(e.getKey());
        NDArray vi = v.get(e.getKey());
        mi.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
        vi.muli((float) beta2).addi(g.square().muli((float) (1 - beta2)));
        p.subi(mi.div(vi.sqrt().addi((float) eps)).muli(stepSize));
        if (weightDecay != 0) {
          p.subi(p.mul((float) (lr * weightDecay)));
        }
        regionvlp.model.Params.zeroGradient(p); // the next backward accumulates into it
      }
    }
  }
}
