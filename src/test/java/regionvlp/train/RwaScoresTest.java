package regionvlp.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import regionvlp.model.Embedder;

/**
 * The chunked score matrix and the two-stage re-ranking against one call of {@link
 * RegionWordAlignment#similarity} on the whole sets (itself checked against the original code and the naive
 * definition).
 */
class RwaScoresTest {
  static final int NV = 7;
  static final int NT = 5;
  static final int R = 6;
  static final int L = 4;
  static final int E = 8;

  static Embedder.LocalSet set(SplittableRandom rnd, int n, int slots) {
    float[] v = new float[n * slots * E];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rnd.nextDouble(-1, 1);
    }
    float[] mask = new float[n * slots];
    for (int i = 0; i < n; i++) {
      for (int k = slots - i % 3; k < slots; k++) {
        mask[i * slots + k] = -100f; // item i has i % 3 padded slots
      }
    }
    return new Embedder.LocalSet(n, slots, E, v, mask);
  }

  /**
   * Under both kernels (RwaKernel). The fused one sums in another order, and exp of logits near lambda = 20
   * (ulp 1.9e-6) carries that rounding into S: it is held to 1e-5, the operators to 1e-6.
   */
  @ParameterizedTest
  @ValueSource(strings = {"ops", "fused"})
  void chunkedMatrixAndRerankAgreeWithOneWholeCall(String kernel) {
    RwaKernelTest.withKernel(kernel, () -> check(kernel.equals("ops") ? 1e-6 : 1e-5));
  }

  private static void check(double tol) {
    SplittableRandom rnd = new SplittableRandom(5);
    Embedder.LocalSet videos = set(rnd, NV, R);
    Embedder.LocalSet texts = set(rnd, NT, L);
    RegionWordAlignment rwa = new RegionWordAlignment(true, false);
    try (NDManager m = NDManager.newBaseManager()) {
      float[] whole = rwa.similarity(m.create(videos.values(), new Shape(NV, R, E)),
          m.create(videos.mask(), new Shape(NV, R)), m.create(texts.values(), new Shape(NT, L, E)),
          m.create(texts.mask(), new Shape(NT, L))).toFloatArray(); // [NV, NT]
      float[][] s = RwaScores.matrix(videos, texts, rwa, m, 3, 2); // uneven chunks on both sides
      for (int v = 0; v < NV; v++) {
        for (int t = 0; t < NT; t++) {
          assertThat((double) s[v][t]).as("S[%d][%d]", v, t).isCloseTo(whole[v * NT + t], within(tol));
        }
      }
      float[][] g = new float[NT][NV];
      for (float[] row : g) {
        for (int j = 0; j < NV; j++) {
          row[j] = (float) rnd.nextDouble(-1, 1);
        }
      }
      int k = 3;
      float[][] out = RwaScores.rerank(g, videos, texts, rwa, m, k);
      for (int t = 0; t < NT; t++) {
        float kth = sortedDescending(g[t])[k - 1];
        for (int v = 0; v < NV; v++) {
          if (g[t][v] >= kth) {
            assertThat((double) out[t][v]).as("top-%d pair (text %d, video %d): G + S", k, t, v)
                .isCloseTo(g[t][v] + whole[v * NT + t], within(tol));
          } else {
            assertThat(out[t][v]).as("other pair (text %d, video %d): G - 4", t, v).isEqualTo(g[t][v] - 4f);
          }
        }
      }
    }
  }

  static float[] sortedDescending(float[] x) {
    float[] c = x.clone();
    java.util.Arrays.sort(c);
    for (int i = 0; i < c.length / 2; i++) {
      float t = c[i];
      c[i] = c[c.length - 1 - i];
      c[c.length - 1 - i] = t;
    }
    return c;
  }
}
