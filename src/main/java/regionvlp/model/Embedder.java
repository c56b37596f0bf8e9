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
    return encodeVideos(ds, 0, ds.numVideos(), progress, false, null).global();
  }

  /** Global caption embeddings [count][E]. */
  public float[][] captions(TokenizedCaptions tok) {
    return encodeCaptions(tok, false).global();
  }

  /**
   * Local embeddings of a whole set, flattened: {@code values} [n, T, E] and the additive key mask [n, T],
   * with T = F*R for videos and L-1 for captions.
   */
  public record LocalSet(int count, int slots, int dim, float[] values, float[] mask) {}

  /** Global [n][E] and (when asked for) local embeddings of one set. */
  public record Encoded(float[][] global, LocalSet local) {}

  /** Global and local video embeddings with the UNIFORM sampler. */
  public Encoded videosWithLocal(ClipDataset ds, IntConsumer progress) {
    return encodeVideos(ds, 0, ds.numVideos(), progress, true, null);
  }

  /** Sees each chunk's model input before it is encoded (an index keeps the boxes from it). */
  @FunctionalInterface
  public interface ClipTap {
    /**
     * @param start index of the chunk's first video
     * @param count videos in the chunk
     * @param regions [count, F, R, D+6], the last 6 values of each region being its box encoding
     * @param mask [count, F, R], 1 for real regions and 0 for padding
     */
    void accept(int start, int count, float[] regions, float[] mask);
  }

  /**
   * Videos {@code start .. start+count-1} with the UNIFORM sampler, so that a large gallery can be encoded
   * and written out piece by piece.
   *
   * @param withLocal whether to return the local embeddings too
   * @param tap sees each chunk's input (may be null)
   */
  public Encoded videoRange(ClipDataset ds, int start, int count, boolean withLocal, ClipTap tap) {
    return encodeVideos(ds, start, count, null, withLocal, tap);
  }

  /** Global and local caption embeddings. */
  public Encoded captionsWithLocal(TokenizedCaptions tok) {
    return encodeCaptions(tok, true);
  }

  private Encoded encodeVideos(ClipDataset ds, int first, int n, IntConsumer progress, boolean withLocal,
      ClipTap tap) {
    int f = ds.numFrames();
    int r = ds.numRegions();
    int dim = ds.regionDim();
    LocalSink sink = withLocal ? new LocalSink(n, f * r, model.config().embedDim()) : null;
    float[][] global = new float[n][];
    FrameSampler uniform = FrameSampler.uniform();
    SplittableRandom unused = new SplittableRandom(0); // UNIFORM draws nothing
    for (int start = 0; start < n; start += chunk) {
      int b = Math.min(chunk, n - start);
      float[] regions = new float[b * f * r * dim];
      float[] mask = new float[b * f * r];
      for (int i = 0; i < b; i++) {
        ds.readClip(first + start + i, uniform, unused, regions, i * f * r * dim, mask, i * f * r);
      }
      if (tap != null) {
        tap.accept(first + start, b, regions, mask);
      }
      try (NDScope ignored = new NDScope(); NDManager sub = manager.newSubManager()) {
        VideoEmbeddings v = model.encodeVideo(sub.create(regions, new Shape(b, f, r, dim)),
            sub.create(mask, new Shape(b, f, r)));
        copyRows(v.global(), global, start);
        if (sink != null) {
          sink.put(start, b, v.local(), v.keyMask());
        }
      }
      if (progress != null) {
        progress.accept(start + b);
      }
    }
    return new Encoded(global, sink == null ? null : sink.set());
  }

  private Encoded encodeCaptions(TokenizedCaptions tok, boolean withLocal) {
    int n = tok.count();
    int l = tok.length();
    LocalSink sink = withLocal ? new LocalSink(n, l - 1, model.config().embedDim()) : null;
    float[][] global = new float[n][];
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
        if (sink != null) {
          sink.put(start, b, t.local(), t.keyMask());
        }
      }
    }
    return new Encoded(global, sink == null ? null : sink.set());
  }

  /**
   * Pooled last hidden states of a text transformer, before any projection [count][W]: for checking a
   * pretrained tower against its reference and for text-only similarity.
   *
   * @param manager parent of the per-chunk arrays
   * @param chunk captions per forward pass
   */
  public static float[][] pooledText(TextEncoder tower, TokenizedCaptions tok, TextPooling pooling,
      NDManager manager, int chunk) {
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
        NDArray m = sub.create(mask, new Shape(b, l));
        copyRows(pooling.pool(tower.hidden(sub.create(ids, new Shape(b, l)), m), m), out, start);
      }
    }
    return out;
  }

  /** Collects chunks of local embeddings [b, T, E] and masks [b, T] into one flat set. */
  private static final class LocalSink {
    private final int count;
    private final int slots;
    private final int dim;
    private final float[] values;
    private final float[] masks;

    LocalSink(int count, int slots, int dim) {
      this.count = count;
      this.slots = slots;
      this.dim = dim;
      this.values = new float[Math.multiplyExact(Math.multiplyExact(count, slots), dim)];
      this.masks = new float[count * slots];
    }

    void put(int start, int b, NDArray local, NDArray keyMask) {
      System.arraycopy(local.toFloatArray(), 0, values, start * slots * dim, b * slots * dim);
      System.arraycopy(keyMask.toFloatArray(), 0, masks, start * slots, b * slots);
    }

    LocalSet set() {
      return new LocalSet(count, slots, dim, values, masks);
    }
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
