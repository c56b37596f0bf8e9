package regionvlp.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * DemoVLP's region-word alignment loss (METHOD.md 3.3), one direction only as coded (G3): for each video
 * row i of the in-batch RWA matrix S [B, B] (video x caption), P_i = softmax_j(lambda S[i, j]), and
 *
 * <pre>
 *   L = (1/B) sum_i sum_j P_ij (log P_ij - log(delta_ij + 1e-6))
 * </pre>
 *
 * i.e. KL(P_i || one-hot smoothed by 1e-6), roughly {@code -H(P_i) + 13.8155 (1 - P_ii)}.
 */
public final class LocalAlignmentLoss {
  private static final double SMOOTH = 1e-6;

  /**
   * @param s RWA similarity [B, B], video rows, caption columns, pair i = (video i, caption i)
   * @return the scalar loss, in {@code s}' manager
   */
  public NDArray compute(NDArray s) {
    long b = s.getShape().get(0);
    if (s.getShape().dimension() != 2 || s.getShape().get(1) != b) {
      throw new IllegalArgumentException("S: expected a square [B, B] matrix, found " + s.getShape());
    }
    NDArray logP = regionvlp.model.Nn.scale(s, RegionWordAlignment.LAMBDA).logSoftmax(1); // [B, B]
    NDArray p = logP.exp();
    float offDiag = (float) Math.log(SMOOTH);
    float onDiag = (float) Math.log(1 + SMOOTH);
    NDArray target = s.getManager().eye((int) b).toType(DataType.FLOAT32, false)
        .mul(regionvlp.model.Nn.scalar(s, onDiag - offDiag)).add(regionvlp.model.Nn.scalar(s, offDiag));
    return p.mul(logP.sub(target)).sum().div(regionvlp.model.Nn.scalar(s, b));
  }
}
