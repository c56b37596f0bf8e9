package regionvlp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import regionvlp.features.ClipDataset;
import regionvlp.features.FrameSampler;
import regionvlp.text.TokenizedCaptions;

/**
 * Encodes whole splits in chunks and hands the global embeddings back as plain {@code float[][]}, so that
 * scoring, metrics and indexing never touch the engine. Each chunk's arrays are closed before the next.
 */
public final class Embedder {
  private final DualEncoder model;
  private final NDManager manager;
  private final int chunk;

  /**
   * @param manager parent of the per-chunk arrays
   * @param chunk items per forward pass
   */
  public Embedder(DualEncoder model, NDManager manager, int chunk) {
    this.model = model;
    this.manager = manager;
    this.chunk = chunk;
  }

  /**
   * Global video embeddings [numVideos][E] with the UNIFORM (test) sampler.
   *
   * @param progress told how many videos are done after each chunk (may be null)
   */
  public float[][] videos(ClipDataset ds, IntConsumer progress) {
    int n = ds.numVideos();
    int f = ds.numFrames();
    int r = ds.numRegions();
    int dim = ds.regionDim();
    float[][] out = new float[n][];
    FrameSampler uniform = FrameSampler.uniform();
    SplittableRandom unused = new SplittableRandom(0); // UNIFORM draws nothing
    for (int start = 0; start < n; start += chunk) {
      int b = Math.min(chunk, n - start);
      float[] regions = new float[b * f * r * dim];
      float[] mask = new float[b * f * r];
      for (int i = 0; i < b; i++) {
        ds.readClip(start + i, uniform, unused, regions, i * f * r * dim, mask, i * f * r);
      }
      try (NDScope ignored = new NDScope(); NDManager sub = manager.newSubManager()) {
        NDArray g = model.encodeVideo(sub.create(regions, new Shape(b, f, r, dim)),
            sub.create(mask, new Shape(b, f, r))).global();
        copyRows(g, out, start);
      }
      if (progress != null) {
        progress.accept(start + b);
      }
    }
    return out;
  }

  /**
   * Local embeddings of a whole set, flattened: {@code values} [n, T, E] and the additive key mask [n, T],
   * with T = F*R for videos and L-1 for captions.
   */
  public record LocalSet(int count, int slots, int dim, float[] values, float[] mask) {}

  /** Global [n][E] and local embeddings of one set. */
  public record Encoded(float[][] global, LocalSet local) {}

  /** Global and local video embeddings with the UNIFORM sampler. */
  public Encoded videosWithLocal(ClipDataset ds, IntConsumer progress) {
    int n = ds.numVideos();
    int f = ds.numFrames();
    int r = ds.numRegions();
    int dim = ds.regionDim();
    int slots = f * r;
    int e = model.config().embedDim();
    float[][] global = new float[n][];
    float[] values = new float[Math.multiplyExact(Math.multiplyExact(n, slots), e)];
    float[] masks = new float[n * slots];
    FrameSampler uniform = FrameSampler.uniform();
    SplittableRandom unused = new SplittableRandom(0);
    for (int start = 0; start < n; start += chunk) {
      int b = Math.min(chunk, n - start);
      float[] regions = new float[b * f * r * dim];
      float[] mask = new float[b * f * r];
      for (int i = 0; i < b; i++) {
        ds.readClip(start + i, uniform, unused, regions, i * f * r * dim, mask, i * f * r);
      }
      try (NDScope ignored = new NDScope(); NDManager sub = manager.newSubManager()) {
        VideoEmbeddings v = model.encodeVideo(sub.create(regions, new Shape(b, f, r, dim)),
            sub.create(mask, new Shape(b, f, r)));
        copyRows(v.global(), global, start);
        System.arraycopy(v.local().toFloatArray(), 0, values, start * slots * e, b * slots * e);
        System.arraycopy(v.keyMask().toFloatArray(), 0, masks, start * slots, b * slots);
      }
      if (progress != null) {
        progress.accept(start + b);
      }
    }
    return new Encoded(global, new LocalSet(n, slots, e, values, masks));
  }

  /** Global and local caption embeddings. */
  public Encoded captionsWithLocal(TokenizedCaptions tok) {
    int n = tok.count();
    int l = tok.length();
    int slots = l - 1;
    int e = model.config().embedDim();
    float[][] global = new float[n][];
    float[] values = new float[Math.multiplyExact(Math.multiplyExact(n, slots), e)];
    float[] masks = new float[n * slots];
    for (int start = 0; start < n; start += chunk) {
      int b = Math.min(chunk, n - start);
      long[] ids = new long[b * l];
      long[] mask = new long[b * l];
      for (int i = 0; i < b; i++) {
        tok.copyIds(start + i, ids, i * l);
        tok.copyMask(start + i, mask, i * l);
      }
      try (NDScope ignored = new NDScope(); NDManager sub = manager.newSubManager()) {
        TextEmbeddings t = model.encodeText(sub.create(ids, new Shape(b, l)), sub.create(mask, new Shape(b, l)));
        copyRows(t.global(), global, start);
        System.arraycopy(t.local().toFloatArray(), 0, values, start * slots * e, b * slots * e);
        System.arraycopy(t.keyMask().toFloatArray(), 0, masks, start * slots, b * slots);
      }
    }
    return new Encoded(global, new LocalSet(n, slots, e, values, masks));
  }

  /** Global caption embeddings [count][E]. */
  public float[][] captions(TokenizedCaptions tok) {
    int n = tok.count();
    int l = tok.length();
    float[][] out = new float[n][];
    for (int start = 0; start < n; start += chunk) {
      int b = Math.min(chunk, n - start);
      long[] ids = new long[b * l];
      long[] mask = new long[b * l];
      for (int i = 0; i < b; i++) {
        tok.copyIds(start + i, ids, i * l);
        tok.copyMask(start + i, mask, i * l);
      }
      try (NDScope ignored = new NDScope(); NDManager sub = manager.newSubManager()) {
        NDArray g = model.encodeText(sub.create(ids, new Shape(b, l)), sub.create(mask, new Shape(b, l)))
            .global();
        copyRows(g, out, start);
      }
    }
    return out;
  }

  private static void copyRows(NDArray g, float[][] out, int start) {
    int b = (int) g.getShape().get(0);
    int e = (int) g.getShape().get(1);
    float[] flat = g.toFloatArray();
    for (int i = 0; i < b; i++) {
      float[] row = new float[e];
      System.arraycopy(flat, i * e, row, 0, e);
      out[start + i] = row;
    }
  }
}
