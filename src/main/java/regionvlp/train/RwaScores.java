package regionvlp.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import regionvlp.model.Embedder;

/**
 * The RWA similarity of every (video, caption) pair of a split, computed in chunks of videos x captions so
 * that memory stays bounded (a chunk holds a few [videos, captions, F*R, L-1] tensors) for any gallery size.
 */
public final class RwaScores {
  /** Videos per block of {@link #matrix} in evaluation. */
  public static final int VIDEO_CHUNK = 32;
  /** Captions per block of {@link #matrix} in evaluation (each caption block is prepared once). */
  public static final int TEXT_CHUNK = 1024;

  private RwaScores() {}

  /**
   * @return S [nVideo][nText], indexed [video, caption] as in the original
   */
  public static float[][] matrix(Embedder.LocalSet videos, Embedder.LocalSet texts, RegionWordAlignment rwa,
      NDManager manager, int videoChunk, int textChunk) {
    if (videos.dim() != texts.dim()) {
      throw new IllegalArgumentException("embedding widths differ: videos " + videos.dim() + ", captions "
          + texts.dim());
    }
    int nv = videos.count();
    int nt = texts.count();
    float[][] s = new float[nv][nt];
    for (int t0 = 0; t0 < nt; t0 += textChunk) {
      int bt = Math.min(textChunk, nt - t0);
      try (NDManager tm = manager.newSubManager()) {
        // Unit vectors and Gram matrices of this caption block, made once for every video block.
        RegionWordAlignment.Side words = side(tm, texts, t0, bt);
        for (int v0 = 0; v0 < nv; v0 += videoChunk) {
          int bv = Math.min(videoChunk, nv - v0);
          try (NDScope ignored = new NDScope(); NDManager vm = tm.newSubManager()) {
            RegionWordAlignment.Side regions = side(vm, videos, v0, bv);
            float[] block = rwa.scores(regions, words); // [bv, bt]
            for (int i = 0; i < bv; i++) {
              System.arraycopy(block, i * bt, s[v0 + i], t0, bt);
            }
          }
        }
      }
    }
    return s;
  }

  /**
   * Two-stage scores: each caption's videos are ranked by G, and only its top K get the RWA term. The
   * returned matrix [nText][nVideo] holds G + S for those and G - 4 for the rest: S lies in [-2, 2] and G
   * in [-1, 1], so re-scored videos stay above the others, which keep their G order. Both sides are
   * prepared once (unit vectors and Gram matrices of every video and caption); each query gathers its K
   * videos from them.
   */
  public static float[][] rerank(float[][] g, Embedder.LocalSet videos, Embedder.LocalSet texts,
      RegionWordAlignment rwa, NDManager manager, int k) {
    int nt = g.length;
    int nv = g[0].length;
    int top = Math.min(k, nv);
    float[][] out = new float[nt][nv];
    try (NDManager sub = manager.newSubManager()) {
      RegionWordAlignment.Side allVideos = side(sub, videos, 0, nv);
      RegionWordAlignment.Side allTexts = side(sub, texts, 0, nt);
      int[][] picked = new int[nt][];
      for (int i = 0; i < nt; i++) {
        float[] row = g[i];
        Integer[] order = new Integer[nv];
        for (int j = 0; j < nv; j++) {
          order[j] = j;
          out[i][j] = row[j] - 4f;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(row[b], row[a]));
        picked[i] = new int[top];
        for (int r = 0; r < top; r++) {
          picked[i][r] = order[r];
        }
      }
      // Every caption's top K in one call: the fused kernel keeps all cores busy across queries.
      float[] s = rwa.scorePairs(allVideos, allTexts, picked); // caption-major, [nt, top]
      for (int i = 0; i < nt; i++) {
        for (int r = 0; r < top; r++) {
          int v = picked[i][r];
          out[i][v] = g[i][v] + s[i * top + r];
        }
      }
    }
    return out;
  }

  /**
   * Items [start, start + n) of a set as a prepared side: the unit vectors are made here, in one pass over
   * the floats (x / (|x| + 1e-8), as {@link RegionWordAlignment#prepare}), and only their Gram matrices in the
   * engine. Preparing a whole gallery through engine operators cost several passes over hundreds of
   * megabytes (4.4 s of a 24 s re-ranking of 1,000 x 1,000 at the fine-tune shape).
   */
  private static RegionWordAlignment.Side side(NDManager m, Embedder.LocalSet set, int start, int n) {
    int e = set.dim();
    int per = set.slots() * e;
    float[] src = set.values();
    float[] unit = new float[n * per];
    for (int row = 0; row < n * set.slots(); row++) {
      int from = start * per + row * e;
      double sq = 0;
      for (int j = 0; j < e; j++) {
        sq += (double) src[from + j] * src[from + j];
      }
      float scale = 1f / ((float) Math.sqrt(sq) + 1e-8f);
      for (int j = 0; j < e; j++) {
        unit[row * e + j] = src[from + j] * scale;
      }
    }
    NDArray u = m.create(unit, new Shape(n, set.slots(), e));
    return new RegionWordAlignment.Side(u, u.matMul(u.transpose(0, 2, 1)), sliceMask(m, set, start, n));
  }

  private static NDArray sliceMask(NDManager m, Embedder.LocalSet set, int start, int n) {
    float[] part = new float[n * set.slots()];
    System.arraycopy(set.mask(), start * set.slots(), part, 0, part.length);
    return m.create(part, new Shape(n, set.slots()));
  }
}
