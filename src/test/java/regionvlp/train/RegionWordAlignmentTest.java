package regionvlp.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The batched, Gram-matrix form of RWA against a naive per-pair implementation written straight from
 * METHOD.md 3.2 (attended vectors materialised, double precision), on odd sizes with padded slots.
 */
class RegionWordAlignmentTest {
  static final int BV = 3, BT = 2, R = 5, L = 7, E = 4;
  static final long SEED = 11;

  static float[] uniform(SplittableRandom rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rnd.nextDouble(-1, 1);
    }
    return v;
  }

  static double[] unit(double[] x) {
    double n = 0;
    for (double v : x) {
      n += v * v;
    }
    n = Math.sqrt(n) + 1e-8;
    double[] o = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      o[i] = x[i] / n;
    }
    return o;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static double cos(double[] a, double[] b) {
    return dot(a, b) / Math.max(Math.sqrt(dot(a, a)) * Math.sqrt(dot(b, b)), 1e-8);
  }

  /** One direction: queries attend over contexts; returns mean over query slots of cos(query, attended). */
  static double direction(double[][] ctx, double[] ctxMask, double[][] qry, double[] qryMask, boolean focal,
      boolean validOnly) {
    int nc = ctx.length;
    int nq = qry.length;
    double[][] cn = new double[nc][];
    double[][] qn = new double[nq][];
    for (int i = 0; i < nc; i++) {
      cn[i] = unit(ctx[i]);
    }
    for (int i = 0; i < nq; i++) {
      qn[i] = unit(qry[i]);
    }
    double[][] s = new double[nc][nq];
    for (int k = 0; k < nc; k++) {
      for (int l = 0; l < nq; l++) {
        double d = dot(cn[k], qn[l]);
        s[k][l] = d > 0 ? d : 0.1 * d;
      }
    }
    // normalise over queries for each context item
    for (int k = 0; k < nc; k++) {
      double ss = 0;
      for (int l = 0; l < nq; l++) {
        ss += s[k][l] * s[k][l];
      }
      for (int l = 0; l < nq; l++) {
        s[k][l] /= Math.sqrt(ss) + 1e-8;
      }
    }
    double sum = 0;
    int count = 0;
    for (int l = 0; l < nq; l++) {
      double[] logit = new double[nc];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < nc; k++) {
        logit[k] = 20 * (s[k][l] + ctxMask[k] + qryMask[l]);
        max = Math.max(max, logit[k]);
      }
      double z = 0;
      double[] w = new double[nc];
      for (int k = 0; k < nc; k++) {
        w[k] = Math.exp(logit[k] - max);
        z += w[k];
      }
      for (int k = 0; k < nc; k++) {
        w[k] /= z;
      }
      if (focal) {
        double kept = 0;
        for (int k = 0; k < nc; k++) {
          if (!(w[k] > 1.0 / nc)) {
            w[k] = 0;
          }
          kept += w[k];
        }
        for (int k = 0; k < nc; k++) {
          w[k] /= kept;
        }
      }
      double[] att = new double[E];
      for (int k = 0; k < nc; k++) {
        for (int e = 0; e < E; e++) {
          att[e] += w[k] * cn[k][e];
        }
      }
      if (!validOnly || qryMask[l] == 0) {
        sum += cos(qry[l], att);
        count++;
      }
    }
    return sum / count;
  }

  @Test
  void batchedFormMatchesTheNaiveDefinition() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    float[] regions = uniform(rnd, BV * R * E);
    float[] words = uniform(rnd, BT * L * E);
    float[] rmask = new float[BV * R];
    float[] wmask = new float[BT * L];
    for (int v = 0; v < BV; v++) {
      for (int k = 0; k < R; k++) {
        rmask[v * R + k] = k >= R - v ? -100 : 0; // video v has v padded regions
      }
    }
    for (int t = 0; t < BT; t++) {
      for (int l = 0; l < L; l++) {
        wmask[t * L + l] = l >= 4 + t ? -100 : 0;
      }
    }
    for (boolean focal : new boolean[] {true, false}) {
      for (boolean validOnly : new boolean[] {false, true}) {
        float[] got;
        try (NDManager m = NDManager.newBaseManager()) {
          got = new RegionWordAlignment(focal, validOnly).similarity(
              m.create(regions, new Shape(BV, R, E)), m.create(rmask, new Shape(BV, R)),
              m.create(words, new Shape(BT, L, E)), m.create(wmask, new Shape(BT, L))).toFloatArray();
        }
        for (int v = 0; v < BV; v++) {
          for (int t = 0; t < BT; t++) {
            double[][] rv = new double[R][E];
            double[] mv = new double[R];
            double[][] wt = new double[L][E];
            double[] nt = new double[L];
            for (int k = 0; k < R; k++) {
              for (int e = 0; e < E; e++) {
                rv[k][e] = regions[(v * R + k) * E + e];
              }
              mv[k] = rmask[v * R + k];
            }
            for (int l = 0; l < L; l++) {
              for (int e = 0; e < E; e++) {
                wt[l][e] = words[(t * L + l) * E + e];
              }
              nt[l] = wmask[t * L + l];
            }
            double a = direction(rv, mv, wt, nt, focal, validOnly); // words attend over regions
            double b = direction(wt, nt, rv, mv, focal, validOnly); // regions attend over words
            assertThat((double) got[v * BT + t])
                .as("S[%d][%d] focal=%s validOnly=%s (seed %d)", v, t, focal, validOnly, SEED)
                .isCloseTo(a + b, within(2e-5));
          }
        }
      }
    }
  }

  /** Direction B's attention before the focal filter, naively: gamma[region][word] (see direction()). */
  static double[][] naiveRegionAttention(double[][] regions, double[] regionMask, double[][] words,
      double[] wordMask) {
    int nr = regions.length;
    int nw = words.length;
    double[][] s = new double[nw][nr];
    for (int k = 0; k < nw; k++) {
      double ss = 0;
      for (int l = 0; l < nr; l++) {
        double d = dot(unit(words[k]), unit(regions[l]));
        s[k][l] = d > 0 ? d : 0.1 * d;
        ss += s[k][l] * s[k][l];
      }
      for (int l = 0; l < nr; l++) {
        s[k][l] /= Math.sqrt(ss) + 1e-8; // over regions, for each word
      }
    }
    double[][] gamma = new double[nr][nw];
    for (int l = 0; l < nr; l++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < nw; k++) {
        max = Math.max(max, 20 * (s[k][l] + wordMask[k] + regionMask[l]));
      }
      double z = 0;
      for (int k = 0; k < nw; k++) {
        gamma[l][k] = Math.exp(20 * (s[k][l] + wordMask[k] + regionMask[l]) - max);
        z += gamma[l][k];
      }
      for (int k = 0; k < nw; k++) {
        gamma[l][k] /= z;
      }
    }
    return gamma;
  }

  @Test
  void regionAttentionIsTheSoftmaxOverWordsOfDirectionB() {
    SplittableRandom rnd = new SplittableRandom(SEED + 2);
    float[] regions = uniform(rnd, BV * R * E);
    float[] words = uniform(rnd, BT * L * E);
    float[] rmask = new float[BV * R];
    float[] wmask = new float[BT * L];
    rmask[R - 1] = -100; // video 0's last region is padding
    for (int l = 5; l < L; l++) {
      wmask[l] = -100; // caption 0 has 5 real words
    }
    float[] got;
    try (NDManager m = NDManager.newBaseManager()) {
      got = new RegionWordAlignment(true, false).regionAttention(m.create(regions, new Shape(BV, R, E)),
          m.create(rmask, new Shape(BV, R)), m.create(words, new Shape(BT, L, E)),
          m.create(wmask, new Shape(BT, L))).toFloatArray(); // [BV, BT, R, L]
    }
    for (int v = 0; v < BV; v++) {
      for (int t = 0; t < BT; t++) {
        double[][] rv = new double[R][E];
        double[] mv = new double[R];
        double[][] wt = new double[L][E];
        double[] nt = new double[L];
        for (int k = 0; k < R; k++) {
          for (int e = 0; e < E; e++) {
            rv[k][e] = regions[(v * R + k) * E + e];
          }
          mv[k] = rmask[v * R + k];
        }
        for (int l = 0; l < L; l++) {
          for (int e = 0; e < E; e++) {
            wt[l][e] = words[(t * L + l) * E + e];
          }
          nt[l] = wmask[t * L + l];
        }
        double[][] want = naiveRegionAttention(rv, mv, wt, nt);
        for (int k = 0; k < R; k++) {
          for (int l = 0; l < L; l++) {
            assertThat((double) got[((v * BT + t) * R + k) * L + l]).as("gamma[%d][%d][%d][%d]", v, t, k, l)
                .isCloseTo(want[k][l], within(1e-5));
          }
          if (t == 0) {
            assertThat(got[((v * BT) * R + k) * L + 6]).as("a padded word gets no attention").isLessThan(1e-6f);
          }
        }
      }
    }
  }

  @Test
  void blocksOfVideosAndCaptionsGiveTheSameMatrixAsOneBlock() {
    SplittableRandom rnd = new SplittableRandom(SEED + 1);
    float[] regions = uniform(rnd, BV * R * E);
    float[] words = uniform(rnd, BT * L * E);
    try (NDManager m = NDManager.newBaseManager()) {
      var rv = m.create(regions, new Shape(BV, R, E));
      var rm = m.zeros(new Shape(BV, R));
      var wv = m.create(words, new Shape(BT, L, E));
      var wm = m.zeros(new Shape(BT, L));
      float[] whole = new RegionWordAlignment(true, false).similarity(rv, rm, wv, wm).toFloatArray();
      // One pair per block, then blocks of one video and both captions, then two videos per block.
      for (long chunk : new long[] {1, (long) BT * R * L, 2L * BT * R * L}) {
        float[] blocks = new RegionWordAlignment(true, false, chunk).similarity(rv, rm, wv, wm).toFloatArray();
        assertThat(blocks).hasSameSizeAs(whole);
        for (int i = 0; i < whole.length; i++) {
          // Reductions over differently shaped tensors may round differently: agree to float rounding.
          assertThat((double) blocks[i]).as("chunk %d, S element %d", chunk, i)
              .isCloseTo(whole[i], within(4.0 * Math.ulp(whole[i])));
        }
      }
    }
  }

  @Test
  void localLossMatchesAHandComputedTwoByTwo() {
    // S = [[0.5, 0.4], [0.1, 0.3]]; logits 20 S = [[10, 8], [2, 6]].
    double[][] logits = {{10, 8}, {2, 6}};
    double expected = 0;
    for (int i = 0; i < 2; i++) {
      double z = Math.log(Math.exp(logits[i][0]) + Math.exp(logits[i][1]));
      for (int j = 0; j < 2; j++) {
        double logP = logits[i][j] - z;
        double target = Math.log((i == j ? 1 : 0) + 1e-6);
        expected += Math.exp(logP) * (logP - target);
      }
    }
    expected /= 2;
    try (NDManager m = NDManager.newBaseManager()) {
      float got = new LocalAlignmentLoss().compute(m.create(new float[] {0.5f, 0.4f, 0.1f, 0.3f}, new Shape(2, 2)))
          .getFloat();
      assertThat((double) got).isCloseTo(expected, within(1e-4));
    }
  }
}
