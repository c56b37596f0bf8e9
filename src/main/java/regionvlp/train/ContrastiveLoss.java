package regionvlp.train;

import ai.djl.ndarray.NDArray;
import regionvlp.model.Nn;

/**
 * The global video-sentence loss (METHOD.md 3.1): symmetric InfoNCE over the in-batch cosine matrix,
 * inherited from Frozen-in-Time's {@code NormSoftmaxLoss}. With G [B, B] (text rows, video columns) and
 * temperature tau (0.05, fixed):
 *
 * <pre>
 *   L = -(1/B) sum_i log softmax_j(G/tau)[i, i]  -  (1/B) sum_j log softmax_i(G/tau)[j, j]
 * </pre>
 *
 * The two directions are summed, not averaged, as coded in the original; a uniform G therefore gives
 * {@code 2 ln B}.
 */
public final class ContrastiveLoss {
  private final float temperature;

  /** @param temperature tau, > 0 (the original fixes 0.05) */
  public ContrastiveLoss(float temperature) {
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("loss.temperature must be > 0, found " + temperature);
    }
    this.temperature = temperature;
  }

  /**
   * @param sim cosine matrix [B, B], text i paired with video i
   * @return the scalar loss, in {@code sim}'s manager
   */
  public NDArray compute(NDArray sim) {
    long b = sim.getShape().get(0);
    if (sim.getShape().dimension() != 2 || sim.getShape().get(1) != b) {
      throw new IllegalArgumentException("sim: expected a square [B, B] matrix, found " + sim.getShape());
    }
    NDArray logits = Nn.scale(sim, 1f / temperature); // engine-owned scalar: see Nn#scalar
    NDArray t2v = logits.logSoftmax(1).diagonal().mean(); // text -> video
    NDArray v2t = logits.logSoftmax(0).diagonal().mean(); // video -> text
    return t2v.add(v2t).neg();
  }

  /** tau. */
  public float temperature() {
    return temperature;
  }
}
