package regionvlp.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class ContrastiveLossTest {
  @Test
  void uniformSimilarityGivesLnNPerDirection() {
    // Every logit equal: softmax is 1/N everywhere, so each direction is -log(1/N) = ln N and the
    // original's sum of both directions is 2 ln N.
    int n = 7;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray sim = m.full(new Shape(n, n), 0.3f);
      float loss = new ContrastiveLoss(0.05f).compute(sim).getFloat();
      assertThat((double) loss).isCloseTo(2 * Math.log(n), within(1e-5));
    }
  }

  @Test
  void matchesAHandComputedTwoByTwo() {
    // G = [[1, 0], [0.5, 1]], tau = 0.5 -> logits [[2, 0], [1, 2]].
    // rows: -log(e^2/(e^2+1)) and -log(e^2/(e^1+e^2)); columns: -log(e^2/(e^2+e^1)) and -log(e^2/(1+e^2)).
    double r0 = Math.log1p(Math.exp(-2));
    double r1 = Math.log1p(Math.exp(-1));
    double expected = (r0 + r1) / 2 + (r1 + r0) / 2;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray sim = m.create(new float[] {1f, 0f, 0.5f, 1f}, new Shape(2, 2));
      assertThat((double) new ContrastiveLoss(0.5f).compute(sim).getFloat()).isCloseTo(expected, within(1e-6));
    }
  }
}
