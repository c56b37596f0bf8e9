package regionvlp.run;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import regionvlp.features.ClipDataset;
import regionvlp.features.FrameSampler;
import regionvlp.index.IndexManifest;
import regionvlp.index.VideoIndexWriter;
import regionvlp.model.Embedder;

/**
 * Builds a search index from a checkpoint and a set of clips: every video is encoded as {@code eval}
 * encodes it (UNIFORM sampler, the checkpoint's frames and regions), its global embedding normalised and
 * stored, and optionally its region embeddings (float16), boxes and sampled frame numbers for RWA
 * re-ranking and explanations. Videos stream to disk a block at a time, so memory does not grow with the
 * gallery's region data.
 */
public final class IndexBuild {
  /** Videos encoded and written per block. */
  static final int BLOCK = 256;

  private IndexBuild() {}

  /**
   * What to build.
   *
   * @param regions store region embeddings, boxes and frame numbers
   * @param hnsw build a Lucene HNSW graph with these parameters, or null for exact search only
   */
  public record Options(boolean regions, IndexManifest.HnswInfo hnsw) {}

  /** Told how far the build is. */
  public interface Progress {
    /** {@code done} of {@code total} videos encoded and written. */
    void encoded(int done, int total);

    /** {@code done} of {@code total} vectors in the HNSW graph. */
    void graph(int done, int total);
  }

  /**
   * Encodes {@code ds} with {@code loaded}'s model and writes the index folder {@code out}.
   *
   * @param checkpointSha256 hash of the checkpoint's weights, recorded for the query-time check
   * @param source recorded in the manifest (where the clips came from)
   */
  public static IndexManifest build(Checkpoints.Loaded loaded, String checkpointSha256, ClipDataset ds,
      Map<String, Object> source, Path out, Options options, NDManager manager, Progress progress) {
    int n = ds.numVideos();
    int f = ds.numFrames();
    int r = ds.numRegions();
    int regionDim = ds.regionDim();
    int featureDim = regionDim - 6;
    int e = loaded.config().model().embedDim();
    int slots = f * r;
    IndexManifest.RegionInfo regionInfo = options.regions() ? new IndexManifest.RegionInfo(f, r, "float16") : null;
    Embedder embedder = new Embedder(loaded.model(), manager, 64);
    FrameSampler uniform = FrameSampler.uniform();
    SplittableRandom unused = new SplittableRandom(0); // UNIFORM draws nothing
    try (VideoIndexWriter w = VideoIndexWriter.create(out, n, e, regionInfo)) {
      for (int start = 0; start < n; start += BLOCK) {
        int b = Math.min(BLOCK, n - start);
        int first = start;
        float[] boxes = options.regions() ? new float[b * slots * 4] : null;
        boolean[] valid = options.regions() ? new boolean[b * slots] : null;
        Embedder.ClipTap tap = !options.regions() ? null : (s, count, regions, mask) -> {
          for (int i = 0; i < count; i++) {
            for (int t = 0; t < slots; t++) {
              int src = (i * slots + t) * regionDim + featureDim; // x1/W, y1/H, x2/W, y2/H, w/W, h/H
              int dst = (s - first + i) * slots + t;
              System.arraycopy(regions, src, boxes, dst * 4, 4);
              valid[dst] = mask[i * slots + t] > 0.5f;
            }
          }
        };
        Embedder.Encoded enc = embedder.videoRange(ds, start, b, options.regions(), tap);
        for (int i = 0; i < b; i++) {
          VideoIndexWriter.RegionData rd = null;
          if (options.regions()) {
            float[] local = new float[slots * e];
            System.arraycopy(enc.local().values(), i * slots * e, local, 0, slots * e);
            boolean[] v = new boolean[slots];
            System.arraycopy(valid, i * slots, v, 0, slots);
            float[] bx = new float[slots * 4];
            System.arraycopy(boxes, i * slots * 4, bx, 0, slots * 4);
            int[] frames = uniform.sample(ds.frameCount(start + i), f, unused);
            rd = new VideoIndexWriter.RegionData(local, v, bx, frames);
          }
          w.add(ds.videoIds().get(start + i), enc.global()[i], rd);
        }
        progress.encoded(start + b, n);
      }
      IndexManifest draft = new IndexManifest(IndexManifest.FORMAT, Instant.now().toString(), n, e,
          new IndexManifest.CheckpointRef(loaded.dir().toAbsolutePath().normalize().toString(), checkpointSha256),
          configTree(loaded.config()), source, regionInfo, options.hnsw());
      return w.finish(draft, options.hnsw(), done -> progress.graph(done, n));
    }
  }

  /**
   * An index of {@code count} synthetic unit vectors, for measuring search speed and HNSW recall at a
   * gallery size no corpus here has. Vectors are drawn around {@code clusters} random centres (noise 0.5
   * per unit of spread), which is harder for HNSW than uniform noise. The checkpoint is recorded so that
   * text queries can be encoded against it; it is not used to make the vectors.
   */
  public static IndexManifest synthetic(Path checkpoint, int count, int clusters, long seed, Path out,
      IndexManifest.HnswInfo hnsw, Progress progress) {
    if (count < 1 || clusters < 1) {
      throw new IllegalArgumentException("--count and --clusters must be >= 1, found " + count + ", " + clusters);
    }
    ExperimentConfig cfg = Checkpoints.readConfig(checkpoint);
    String sha = Checkpoints.weightsSha256(checkpoint);
    int e = cfg.model().embedDim();
    SplittableRandom rng = new SplittableRandom(seed);
    float[][] centres = new float[clusters][e];
    for (float[] c : centres) {
      for (int k = 0; k < e; k++) {
        c[k] = (float) gaussian(rng);
      }
    }
    double noise = 0.5;
    try (VideoIndexWriter w = VideoIndexWriter.create(out, count, e, null)) {
      float[] v = new float[e];
      for (int i = 0; i < count; i++) {
        float[] c = centres[rng.nextInt(clusters)];
        for (int k = 0; k < e; k++) {
          v[k] = c[k] + (float) (noise * gaussian(rng));
        }
        w.add(String.format(java.util.Locale.ROOT, "synthetic_%07d", i), v, null);
        if ((i + 1) % 10_000 == 0 || i + 1 == count) {
          progress.encoded(i + 1, count);
        }
      }
      Map<String, Object> source = new LinkedHashMap<>();
      source.put("synthetic", Map.of("count", count, "clusters", clusters, "seed", seed, "noise", noise));
      IndexManifest draft = new IndexManifest(IndexManifest.FORMAT, Instant.now().toString(), count, e,
          new IndexManifest.CheckpointRef(Checkpoints.resolve(checkpoint).toAbsolutePath().normalize().toString(),
              sha), configTree(cfg), source, null, hnsw);
      return w.finish(draft, hnsw, done -> progress.graph(done, count));
    }
  }

  /**
   * A config as the manifest stores it: through JSON text, so that a tree read back from {@code index.json}
   * compares equal (a float field would otherwise be a FloatNode here and a DoubleNode there).
   */
  static com.fasterxml.jackson.databind.JsonNode configTree(ExperimentConfig cfg) {
    try {
      return Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(cfg));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise the config", e);
    }
  }

  private static double gaussian(SplittableRandom rng) {
    return rng.nextGaussian();
  }
}
