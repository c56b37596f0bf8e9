package regionvlp.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fused scoring kernel against the operator path of {@link RegionWordAlignment} (itself checked against
 * the original code in RwaGoldenTest) at shapes the small golden fixture does not reach: word slots past one
 * vector width and not a multiple of it, padded regions and words, every option, uneven blocks.
 */
class RwaKernelTest {
  static final int E = 24;

  /** Normal vectors; item i has (i * 5) % (slots / 2) padded slots at the end. */
  static RegionWordAlignment.Side side(NDManager m, SplittableRandom rnd, int n, int slots) {
    float[] v = new float[n * slots * E];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextGaussian());
    }
    float[] mask = new float[n * slots];
    for (int i = 0; i < n; i++) {
      int padded = (i * 5) % (slots / 2);
      for (int k = slots - padded; k < slots; k++) {
        mask[i * slots + k] = -100f;
      }
    }
    return RegionWordAlignment.prepare(m.create(v, new Shape(n, slots, E)), m.create(mask, new Shape(n, slots)));
  }

  @Test
  void fusedKernelAgreesWithTheOperatorsAtEveryOptionAndBlocking() {
    SplittableRandom rnd = new SplittableRandom(11);
    int nv = 5;
    int nt = 7;
    try (NDManager m = NDManager.newBaseManager()) {
      for (int[] shape : new int[][] {{23, 19}, {37, 33}, {6, 4}}) {
        int r = shape[0];
        int l = shape[1];
        RegionWordAlignment.Side reg = side(m, rnd, nv, r);
        RegionWordAlignment.Side wrd = side(m, rnd, nt, l);
        for (boolean focal : new boolean[] {true, false}) {
          for (boolean validOnly : new boolean[] {false, true}) {
            float[] ops = new RegionWordAlignment(focal, validOnly).similarity(reg, wrd).toFloatArray();
            for (int[] b : new int[][] {{1, 1}, {2, 3}, {4, 16}}) {
              float[] fused = RwaKernel.fused(focal, validOnly, reg, wrd, b[0], b[1]);
              String what = String.format("R %d, L %d, focal %s, validOnly %s, blocks %d x %d", r, l, focal,
                  validOnly, b[0], b[1]);
              assertThat(fused).as(what).hasSize(nv * nt);
              double worst = 0;
              for (int i = 0; i < ops.length; i++) {
                assertThat(Float.isFinite(fused[i])).as("%s: S[%d] finite", what, i).isTrue();
                worst = Math.max(worst, Math.abs(fused[i] - ops[i]));
              }
              // Rounding only: sums in another order, and exp of logits up to lambda = 20 (ulp 1.9e-6).
              assertThat(worst).as("%s: largest |fused - ops|", what).isLessThan(1e-5);
            }
          }
        }
      }
    }
  }

  /** Chosen pairs (re-ranking): each caption's own videos, in any order, none for some captions. */
  @Test
  void fusedPairsAgreeWithTheDenseMatrix() {
    SplittableRandom rnd = new SplittableRandom(12);
    int nv = 9;
    int nt = 4;
    int r = 23;
    int l = 19;
    try (NDManager m = NDManager.newBaseManager()) {
      RegionWordAlignment.Side reg = side(m, rnd, nv, r);
      RegionWordAlignment.Side wrd = side(m, rnd, nt, l);
      float[] dense = new RegionWordAlignment(true, false).similarity(reg, wrd).toFloatArray(); // [nv, nt]
      assertThat(RwaKernel.fused(true, false, reg, wrd.rows(0, 0), 1, 16)).as("no captions").isEmpty();
      int[][] chosen = {{8, 0, 3, 4, 5}, {}, {2}, {1, 2, 3, 4, 5, 6, 7, 8, 0}};
      float[] got = RwaKernel.fusedPairs(true, false, reg, wrd, chosen);
      assertThat(got).hasSize(15);
      int at = 0;
      for (int q = 0; q < nt; q++) {
        for (int v : chosen[q]) {
          assertThat((double) got[at]).as("caption %d, video %d", q, v)
              .isCloseTo(dense[v * nt + q], org.assertj.core.api.Assertions.within(1e-5));
          at++;
        }
      }
    }
  }

  /** The kernel's inline exp against Math.exp, over the range the softmaxes use and past it. */
  @Test
  void inlineExpIsWithinAFewUlpOfMathExp() {
    jdk.incubator.vector.VectorSpecies<Float> sp = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
    float[] x = new float[sp.length()];
    float[] y = new float[sp.length()];
    double worst = 0;
    for (float start = -80f; start <= 0f; start += 0.0137f * sp.length()) {
      for (int i = 0; i < x.length; i++) {
        x[i] = Math.min(0f, start + 0.0137f * i);
      }
      FusedRwa.exp(jdk.incubator.vector.FloatVector.fromArray(sp, x, 0)).intoArray(y, 0);
      for (int i = 0; i < x.length; i++) {
        double want = Math.exp(x[i]);
        worst = Math.max(worst, Math.abs(y[i] - want) / Math.ulp((float) want));
      }
    }
    assertThat(worst).as("largest error in float32 ulps over [-80, 0]").isLessThanOrEqualTo(2.0);
    float[] far = new float[sp.length()];
    java.util.Arrays.fill(far, Float.NEGATIVE_INFINITY);
    far[0] = -2000f;
    far[1] = -100f;
    FusedRwa.exp(jdk.incubator.vector.FloatVector.fromArray(sp, far, 0)).intoArray(y, 0);
    for (int i = 0; i < y.length; i++) {
      assertThat((double) y[i]).as("exp(%s) is e^-80 (padded slots)", far[i])
          .isCloseTo(Math.exp(-80), org.assertj.core.api.Assertions.within(Math.exp(-80) * 1e-6));
    }
  }

  @Test
  void thePropertyPicksTheKernelAndRejectsUnknownNames() {
    withKernel("ops", () -> assertThat(RwaKernel.active()).isEqualTo(RwaKernel.Kind.OPS));
    withKernel("fused", () -> assertThat(RwaKernel.active()).isEqualTo(RwaKernel.Kind.FUSED));
    withKernel("fast", () -> assertThatThrownBy(RwaKernel::active).hasMessageContaining("regionvlp.rwaKernel")
        .hasMessageContaining("fused or ops").hasMessageContaining("'fast'"));
    withKernel(null, () -> assertThat(RwaKernel.active()).as("default with the module loaded")
        .isEqualTo(RwaKernel.Kind.FUSED));
  }

  /** Runs {@code body} with the kernel property set to {@code kind} (null: unset), then restores it. */
  static void withKernel(String kind, Runnable body) {
    String before = System.getProperty(RwaKernel.PROPERTY);
    try {
      if (kind == null) {
        System.clearProperty(RwaKernel.PROPERTY);
      } else {
        System.setProperty(RwaKernel.PROPERTY, kind);
      }
      body.run();
    } finally {
      if (before == null) {
        System.clearProperty(RwaKernel.PROPERTY);
      } else {
        System.setProperty(RwaKernel.PROPERTY, before);
      }
    }
  }
}
