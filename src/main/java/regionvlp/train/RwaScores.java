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
    int e = videos.dim();
    float[][] s = new float[nv][nt];
    for (int v0 = 0; v0 < nv; v0 += videoChunk) {
      int bv = Math.min(videoChunk, nv - v0);
      try (NDManager vm = manager.newSubManager()) {
        NDArray vr = slice(vm, videos, v0, bv, e);
        NDArray vmask = sliceMask(vm, videos, v0, bv);
        for (int t0 = 0; t0 < nt; t0 += textChunk) {
          int bt = Math.min(textChunk, nt - t0);
          try (NDScope ignored = new NDScope(); NDManager tm = vm.newSubManager()) {
            NDArray tw = slice(tm, texts, t0, bt, e);
            NDArray tmask = sliceMask(tm, texts, t0, bt);
            float[] block = rwa.similarity(vr, vmask, tw, tmask).toFloatArray(); // [bv, bt]
            for (int i = 0; i < bv; i++) {
              System.arraycopy(block, i * bt, s[v0 + i], t0, bt);
            }
          }
        }
      }
    }
    return s;
  }

  private static NDArray slice(NDManager m, Embedder.LocalSet set, int start, int n, int e) {
    int per = set.slots() * e;
    float[] part = new float[n * per];
    System.arraycopy(set.values(), start * per, part, 0, n * per);
    return m.create(part, new Shape(n, set.slots(), e));
  }

  private static NDArray sliceMask(NDManager m, Embedder.LocalSet set, int start, int n) {
    float[] part = new float[n * set.slots()];
    System.arraycopy(set.mask(), start * set.slots(), part, 0, part.length);
    return m.create(part, new Shape(n, set.slots()));
  }
}
