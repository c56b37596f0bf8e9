package regionvlp.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import regionvlp.model.Params;

/**
 * The fused AdamW update against two references: the same formula written with engine ops (the update's
 * previous implementation: the moments must agree bit for bit, the parameters to the rounding of the
 * update, because the engine's sqrt is not correctly rounded) and transformers.AdamW's formula in double precision.
 */
class AdamWTest {
  private static final double B1 = 0.9;
  private static final double B2 = 0.999;
  private static final double EPS = 1e-6;

  @Test
  void fusedUpdateIsBitIdenticalToTheEngineOpFormulaAndCloseToDoublePrecision() {
    for (double wd : new double[] {0.0, 0.01}) {
      try (NDManager root = NDManager.newBaseManager(); Params params = new Params(root, 3)) {
        // 40,000 elements span three work chunks, the last one partial; [3, 5] is smaller than one.
        NDArray a = params.normal("a", 1.0, 40_000);
        NDArray b = params.normal("b", 1.0, 3, 5);
        AdamW opt = new AdamW(params.all(), B1, B2, EPS, wd);
        float[][] p = {a.toFloatArray(), b.toFloatArray()};
        float[][] m = {new float[40_000], new float[15]};
        float[][] v = {new float[40_000], new float[15]};
        double[][] pd = {toDouble(p[0]), toDouble(p[1])};
        double[][] md = {new double[40_000], new double[15]};
        double[][] vd = {new double[40_000], new double[15]};
        double[] lrs = {1e-3, 5e-4, 2e-3};
        try (NDManager refs = root.newSubManager()) {
          NDArray[] pr = {refs.create(p[0]), refs.create(p[1])};
          NDArray[] mr = {refs.create(m[0]), refs.create(m[1])};
          NDArray[] vr = {refs.create(v[0]), refs.create(v[1])};
          for (int t = 1; t <= 3; t++) {
            float[][] g = backward(root, a, b, t);
            double lr = lrs[t - 1];
            float stepSize = (float) (lr * Math.sqrt(1 - Math.pow(B2, t)) / (1 - Math.pow(B1, t)));
            for (int i = 0; i < 2; i++) {
              NDArray gi = refs.create(g[i]);
              mr[i].muli((float) B1).addi(gi.mul((float) (1 - B1)));
              vr[i].muli((float) B2).addi(gi.square().muli((float) (1 - B2)));
              pr[i].subi(mr[i].div(vr[i].sqrt().addi((float) EPS)).muli(stepSize));
              if (wd != 0) {
                pr[i].subi(pr[i].mul((float) (lr * wd)));
              }
              for (int k = 0; k < g[i].length; k++) {
                md[i][k] = B1 * md[i][k] + (1 - B1) * g[i][k];
                vd[i][k] = B2 * vd[i][k] + (1 - B2) * g[i][k] * g[i][k];
                pd[i][k] -= lr * Math.sqrt(1 - Math.pow(B2, t)) / (1 - Math.pow(B1, t)) * md[i][k]
                    / (Math.sqrt(vd[i][k]) + EPS);
                pd[i][k] -= lr * wd * pd[i][k];
              }
            }
            opt.update(lr);
          }
          NDArray[] fused = {a, b};
          String[] names = {"a", "b"};
          for (int i = 0; i < 2; i++) {
            assertBitEqual("m " + names[i], opt.firstMoments().get(names[i]).toFloatArray(), mr[i].toFloatArray());
            assertBitEqual("v " + names[i], opt.secondMoments().get(names[i]).toFloatArray(), vr[i].toFloatArray());
            assertCloseToUpdateRounding("p " + names[i] + ", wd " + wd, fused[i].toFloatArray(),
                pr[i].toFloatArray(), 2e-3);
            float[] got = fused[i].toFloatArray();
            for (int k = 0; k < got.length; k++) {
              assertThat((double) got[k]).as("element %d of %s", k, names[i])
                  .isCloseTo(pd[i][k], org.assertj.core.api.Assertions.within(1e-5 * (1 + Math.abs(pd[i][k]))));
            }
            try (NDArray g = fused[i].getGradient()) {
              assertThat(g.abs().max().getFloat()).as("gradient zeroed after the update").isZero();
            }
          }
          assertThat(opt.step()).isEqualTo(3);
        }
      }
    }
  }

  /** Gradients of sum(sin(t a) a) + sum(b^3) / t, left on the parameters; returns them. */
  private static float[][] backward(NDManager root, NDArray a, NDArray b, int t) {
    try (NDManager sub = root.newSubManager();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray sa = a.mul(sub.create((float) t)).sin().mul(a).sum();
      NDArray sb = b.mul(b).mul(b).sum().div(sub.create((float) t));
      gc.backward(sa.add(sb));
    }
    try (NDArray ga = a.getGradient(); NDArray gb = b.getGradient()) {
      return new float[][] {ga.toFloatArray(), gb.toFloatArray()};
    }
  }

  /**
   * The engine's sqrt is not correctly rounded (about a fifth of float32 results differ from the IEEE
   * square root by one ulp), and Java's is; so the updated parameters agree to the rounding of the update
   * (relative 1e-7 of a step of size ~lr), plus that of the parameter itself.
   */
  private static void assertCloseToUpdateRounding(String what, float[] got, float[] want, double lr) {
    assertThat(got).hasSameSizeAs(want);
    for (int k = 0; k < got.length; k++) {
      double tol = 1e-6 * lr + 2 * Math.ulp(want[k]);
      assertThat(Math.abs((double) got[k] - want[k])).as("%s: element %d, %s vs %s", what, k, got[k], want[k])
          .isLessThanOrEqualTo(tol);
    }
  }

  private static void assertBitEqual(String what, float[] got, float[] want) {
    assertThat(got).hasSameSizeAs(want);
    int bad = 0;
    int first = -1;
    for (int k = 0; k < got.length; k++) {
      if (Float.floatToIntBits(got[k]) != Float.floatToIntBits(want[k])) {
        bad++;
        first = first < 0 ? k : first;
      }
    }
    assertThat(bad).as("%s: %d of %d elements differ; first at %d: %s vs %s", what, bad, got.length, first,
        first < 0 ? "" : got[first], first < 0 ? "" : want[first]).isZero();
  }

  private static double[] toDouble(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }
}
