package regionvlp.index;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Npy;
import regionvlp.data.NpyArray;

/**
 * An index folder opened for searching (layout in the package javadoc): the ids and unit embeddings in
 * memory, region data on demand, and the HNSW graph when one was built. Thread-safe.
 */
public final class VideoIndex implements AutoCloseable {
  static final String IDS = "ids.txt";
  static final String EMBEDDINGS = "embeddings.npy";
  /** Largest tolerated |norm - 1| of a stored row (float32 rounding of a normalised vector is ~1e-7). */
  static final float UNIT_TOLERANCE = 1e-4f;

  private final Path dir;
  private final IndexManifest manifest;
  private final List<String> ids;
  private final Map<String, Integer> ordinals;
  private final float[] vectors; // [count, dim], unit rows
  private final RegionStore regions; // null without region embeddings
  private final HnswGraphIndex hnsw; // null without a graph

  private VideoIndex(Path dir, IndexManifest manifest, List<String> ids, float[] vectors, RegionStore regions,
      HnswGraphIndex hnsw) {
    this.dir = dir;
    this.manifest = manifest;
    this.ids = ids;
    this.vectors = vectors;
    this.regions = regions;
    this.hnsw = hnsw;
    this.ordinals = new HashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      ordinals.put(ids.get(i), i);
    }
  }

  /**
   * Opens and checks an index folder: every file must match the manifest's count and width, and every
   * embedding must be a unit vector (DOT_PRODUCT ranks by cosine only for unit vectors).
   */
  public static VideoIndex open(Path dir) {
    IndexManifest m = IndexManifest.read(dir);
    List<String> ids;
    try {
      ids = Files.readAllLines(dir.resolve(IDS), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputFileException(dir.resolve(IDS), "cannot read: " + e.getMessage(), e);
    }
    if (ids.size() != m.count()) {
      throw new InvalidInputFileException(dir.resolve(IDS), "expected " + m.count() + " ids (from "
          + IndexManifest.FILE + "), found " + ids.size());
    }
    Object arr = Npy.read(dir.resolve(EMBEDDINGS));
    if (!(arr instanceof NpyArray a) || !a.descr().equals("<f4")
        || !Arrays.equals(a.shape(), new long[] {m.count(), m.embedDim()})) {
      throw new InvalidInputFileException(dir.resolve(EMBEDDINGS), "expected float32 [" + m.count() + ", "
          + m.embedDim() + "], found " + arr);
    }
    float[] vectors = a.toFloatArray();
    for (int i = 0; i < m.count(); i++) {
      double n = 0;
      for (int k = 0; k < m.embedDim(); k++) {
        float x = vectors[i * m.embedDim() + k];
        n += (double) x * x;
      }
      if (Math.abs(Math.sqrt(n) - 1) > UNIT_TOLERANCE) {
        throw new InvalidInputFileException(dir.resolve(EMBEDDINGS), String.format(Locale.ROOT,
            "row %d (%s) has norm %.6f; expected unit vectors (DOT_PRODUCT search needs them)", i, ids.get(i),
            Math.sqrt(n)));
      }
    }
    RegionStore regions = m.regions() == null ? null : RegionStore.open(dir, m);
    HnswGraphIndex hnsw = null;
    if (m.hnsw() != null) {
      try {
        hnsw = HnswGraphIndex.open(dir.resolve(HnswGraphIndex.DIR));
      } catch (RuntimeException e) {
        if (regions != null) {
          regions.close();
        }
        throw e;
      }
      if (hnsw.size() != m.count()) {
        hnsw.close();
        if (regions != null) {
          regions.close();
        }
        throw new InvalidInputFileException(dir.resolve(HnswGraphIndex.DIR), "expected " + m.count()
            + " vectors, found " + hnsw.size());
      }
    }
    return new VideoIndex(dir, m, List.copyOf(ids), vectors, regions, hnsw);
  }

  /** The folder. */
  public Path dir() {
    return dir;
  }

  /** What the index holds and was built with. */
  public IndexManifest manifest() {
    return manifest;
  }

  /** N. */
  public int count() {
    return ids.size();
  }

  /** E. */
  public int dim() {
    return manifest.embedDim();
  }

  /** The video id of an ordinal. */
  public String id(int ordinal) {
    return ids.get(ordinal);
  }

  /** The ordinal of a video id, or -1. */
  public int ordinal(String id) {
    Integer o = ordinals.get(id);
    return o == null ? -1 : o;
  }

  /** A copy of the unit embedding of an ordinal. */
  public float[] vector(int ordinal) {
    return java.util.Arrays.copyOfRange(vectors, ordinal * dim(), (ordinal + 1) * dim());
  }

  /** Whether region embeddings were stored (needed for re-ranking and explanations). */
  public boolean hasRegions() {
    return regions != null;
  }

  /** The region store; throws when the index was built without {@code --regions}. */
  public RegionStore regions() {
    if (regions == null) {
      throw new IllegalArgumentException("the index " + dir + " holds no region embeddings: rebuild it with "
          + "--regions to re-rank or explain");
    }
    return regions;
  }

  /** Whether an HNSW graph was built. */
  public boolean hasHnsw() {
    return hnsw != null;
  }

  /** Exact top-k of a unit query. */
  public Scored[] exact(float[] query, int k) {
    return ExactSearch.topK(vectors, count(), dim(), query, k);
  }

  /**
   * Approximate top-k by the HNSW graph: it proposes {@code max(k, candidates)} videos, which are then
   * re-scored with the exact dot product and sorted as {@link #exact} sorts.
   */
  public Scored[] hnsw(float[] query, int k, int candidates) {
    if (hnsw == null) {
      throw new IllegalArgumentException("the index " + dir + " has no HNSW graph: rebuild it with --hnsw, or "
          + "search exactly");
    }
    if (query.length != dim()) {
      throw new IllegalArgumentException("query has " + query.length + " values, the index " + dim());
    }
    int[] ords = hnsw.candidates(query, Math.max(k, candidates));
    Scored[] all = new Scored[ords.length];
    for (int i = 0; i < ords.length; i++) {
      all[i] = new Scored(ords[i], ExactSearch.dot(vectors, ords[i], dim(), query));
    }
    Arrays.sort(all, Scored.BEST_FIRST);
    return Arrays.copyOf(all, Math.min(k, all.length));
  }

  @Override
  public void close() {
    if (regions != null) {
      regions.close();
    }
    if (hnsw != null) {
      hnsw.close();
    }
  }
}
