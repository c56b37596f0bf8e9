package regionvlp.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import regionvlp.data.InvalidInputFileException;
import regionvlp.eval.Similarity;
import regionvlp.index.IndexManifest;
import regionvlp.index.RegionStore;
import regionvlp.index.Scored;
import regionvlp.index.Searcher;
import regionvlp.index.VideoIndex;
import regionvlp.model.DualEncoder;
import regionvlp.model.Embedder;
import regionvlp.text.CaptionTokenizer;
import regionvlp.text.TokenizedCaptions;
import regionvlp.train.RegionWordAlignment;

/**
 * Text-to-video search over an index with the checkpoint it was built with: the query is tokenised and
 * encoded as {@code eval} encodes captions, normalised, and matched against the stored unit embeddings
 * (exactly or through the HNSW graph). With {@code rerankTop} K the global top K are re-scored with
 * G + S, S being RWA on the stored region embeddings, as {@code eval --rerank-top} does. Explanations give
 * each region of a hit the query word its region-to-word attention peaks on.
 *
 * <p>Opening refuses a checkpoint whose weights hash or config differ from what the index recorded.
 * Queries are serialised: the two CPU cores are shared by PyTorch's own threads anyway.
 */
public final class VideoSearch implements Searcher, AutoCloseable {
  private final VideoIndex index;
  private final Checkpoints.Loaded loaded;
  private final CaptionTokenizer tokenizer;
  private final NDManager manager;
  private final RegionWordAlignment rwa;

  private VideoSearch(VideoIndex index, Checkpoints.Loaded loaded, NDManager manager) {
    this.index = index;
    this.loaded = loaded;
    this.manager = manager;
    this.tokenizer = CaptionTokenizer.bundled(loaded.config().model().text().maxLength());
    this.rwa = new RegionWordAlignment(loaded.config().loss().focal(), loaded.config().loss().rwaValidOnly());
  }

  /**
   * Opens an index and the checkpoint to encode queries with.
   *
   * @param checkpoint the checkpoint, or null for the one the index recorded
   * @param manager parent of the model's parameters and of every query's arrays
   * @throws InvalidInputFileException when the checkpoint is not the one the index was built with
   */
  public static VideoSearch open(Path indexDir, Path checkpoint, NDManager manager) {
    VideoIndex index = VideoIndex.open(indexDir);
    try {
      IndexManifest m = index.manifest();
      if (m.checkpoint() == null) {
        throw new InvalidInputFileException(indexDir.resolve(IndexManifest.FILE), "records no checkpoint, so "
            + "queries cannot be encoded");
      }
      Path ckpt = checkpoint != null ? checkpoint : Path.of(m.checkpoint().path());
      String sha = Checkpoints.weightsSha256(ckpt);
      if (!sha.equals(m.checkpoint().sha256())) {
        throw new InvalidInputFileException(Checkpoints.resolve(ckpt), "is not the checkpoint the index "
            + indexDir + " was built with: its weights have sha256 " + sha + ", the index recorded "
            + m.checkpoint().sha256() + " (" + m.checkpoint().path() + "). Query with that checkpoint, or "
            + "rebuild the index with this one");
      }
      ExperimentConfig cfg = Checkpoints.readConfig(ckpt);
      if (m.config() != null) {
        // Only the model settings shape a query's embedding. The recorded config is read as a checkpoint's
        // is, so keys added to the config format since the index was built do not count as a difference.
        ExperimentConfig recorded = ConfigLoader.fromTree(m.config().deepCopy(),
            indexDir.resolve(IndexManifest.FILE) + " (config)");
        if (!recorded.model().equals(cfg.model())) {
          throw new InvalidInputFileException(Checkpoints.resolve(ckpt).resolve(Checkpoints.CONFIG), "its model "
              + "settings differ from those the index " + indexDir + " recorded (same weights): expected "
              + recorded.model() + ", found " + cfg.model() + "; rebuild the index");
        }
      }
      if (cfg.model().embedDim() != index.dim()) {
        throw new InvalidInputFileException(indexDir.resolve(IndexManifest.FILE), "expected embedDim "
            + cfg.model().embedDim() + " (the checkpoint's), found " + index.dim());
      }
      Checkpoints.Loaded loaded = Checkpoints.load(ckpt, manager);
      try {
        return new VideoSearch(index, loaded, manager);
      } catch (RuntimeException e) {
        loaded.model().close();
        throw e;
      }
    } catch (RuntimeException e) {
      index.close();
      throw e;
    }
  }

  /** The index searched. */
  public VideoIndex index() {
    return index;
  }

  /** The model that encodes queries. */
  public DualEncoder model() {
    return loaded.model();
  }

  @Override
  public Map<String, Object> describe() {
    IndexManifest m = index.manifest();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("videos", index.count());
    out.put("embedDim", index.dim());
    out.put("hnsw", index.hasHnsw());
    out.put("regions", index.hasRegions());
    if (m.regions() != null) {
      out.put("frames", m.regions().frames());
      out.put("regionsPerFrame", m.regions().perFrame());
    }
    out.put("checkpoint", m.checkpoint() == null ? null : m.checkpoint().path());
    out.put("createdAt", m.createdAt());
    return out;
  }

  /** The query's unit embedding, encoded as {@link #search} encodes it. */
  public synchronized float[] encodeQuery(String query) {
    try (NDScope ignored = new NDScope(); NDManager sub = manager.newSubManager()) {
      TokenizedCaptions tok = tokenizer.encode(List.of(query)).trimmed(); // global only: padding is idle work
      return Similarity.normalized(new Embedder(loaded.model(), sub, 1).captions(tok))[0];
    }
  }

  @Override
  public synchronized Result search(Request req) {
    boolean needLocal = req.rerankTop() > 0 || req.explain();
    if (needLocal && !index.hasRegions()) {
      index.regions(); // throws the "rebuild with --regions" error
    }
    boolean hnsw = switch (req.method()) {
      case AUTO -> index.hasHnsw();
      case EXACT -> false;
      case HNSW -> true;
    };
    long t0 = System.nanoTime();
    try (NDScope ignored = new NDScope(); NDManager sub = manager.newSubManager()) {
      TokenizedCaptions tok = tokenizer.encode(List.of(req.query()));
      List<String> tokens = tokenizer.tokens(req.query());
      Embedder text = new Embedder(loaded.model(), sub, 1);
      // Word embeddings (re-ranking, explanations) need the padded length, whose slots RWA averages; the
      // global embedding alone is the same without the padding, and cheaper.
      Embedder.Encoded enc = needLocal ? text.captionsWithLocal(tok)
          : new Embedder.Encoded(text.captions(tok.trimmed()), null);
      float[] q = Similarity.normalized(enc.global())[0];
      long t1 = System.nanoTime();

      int pool = Math.max(req.k(), req.rerankTop());
      Scored[] found = hnsw ? index.hnsw(q, pool, req.candidates()) : index.exact(q, pool);
      long t2 = System.nanoTime();

      float[] local = null; // S of the re-ranked prefix
      int top = Math.min(req.rerankTop(), found.length);
      if (top > 0) {
        local = rerank(found, top, enc.local(), sub);
      }
      long t3 = System.nanoTime();

      int k = Math.min(req.k(), found.length);
      Explanation[] why = req.explain() ? explain(found, k, enc.local(), tokens, sub) : null;
      long t4 = System.nanoTime();

      List<Hit> hits = new ArrayList<>(k);
      for (int i = 0; i < k; i++) {
        Scored s = found[i];
        Double sLocal = local != null && i < top ? (double) local[i] : null;
        double score = sLocal != null ? (double) (s.score() + local[i]) : s.score();
        hits.add(new Hit(i + 1, index.id(s.ordinal()), score, s.score(), sLocal, why == null ? null : why[i]));
      }
      String scoring = top > 0 ? "global, then G + S^T on the top " + req.rerankTop() : "global";
      return new Result(req.query(), hnsw ? "hnsw" : "exact", scoring, tokens, hits,
          new Timings(ms(t1 - t0), ms(t2 - t1), ms(t3 - t2), ms(t4 - t3), ms(t4 - t0)));
    }
  }

  /**
   * Re-scores the first {@code top} candidates with G + S and re-orders them in place (they stay above the
   * rest, as in {@code eval --rerank-top}).
   *
   * @return S of the re-ordered prefix
   */
  private float[] rerank(Scored[] found, int top, Embedder.LocalSet words, NDManager sub) {
    int[] ords = new int[top];
    for (int i = 0; i < top; i++) {
      ords[i] = found[i].ordinal();
    }
    NDArray[] regions = regionArrays(ords, sub);
    float[] s = rwa.scores(RegionWordAlignment.prepare(regions[0], regions[1]),
        RegionWordAlignment.prepare(wordArray(words, sub), wordMask(words, sub))); // [top, 1]
    Integer[] order = new Integer[top];
    for (int i = 0; i < top; i++) {
      order[i] = i;
    }
    float[] total = new float[top];
    for (int i = 0; i < top; i++) {
      total[i] = found[i].score() + s[i];
    }
    // Stable: equal G + S keep the global order, as eval's ranking of the re-scored videos does.
    Arrays.sort(order, (a, b) -> Float.compare(total[b], total[a]));
    Scored[] prefix = Arrays.copyOf(found, top);
    float[] out = new float[top];
    for (int i = 0; i < top; i++) {
      found[i] = prefix[order[i]];
      out[i] = s[order[i]];
    }
    return out;
  }

  private Explanation[] explain(Scored[] found, int k, Embedder.LocalSet words, List<String> tokens,
      NDManager sub) {
    int[] ords = new int[k];
    for (int i = 0; i < k; i++) {
      ords[i] = found[i].ordinal();
    }
    RegionStore store = index.regions();
    int t = store.slots();
    int l = words.slots();
    NDArray[] regions = regionArrays(ords, sub);
    float[] gamma = rwa.regionAttention(regions[0], regions[1], wordArray(words, sub), wordMask(words, sub))
        .toFloatArray(); // [k, 1, T, L-1]
    int perFrame = index.manifest().regions().perFrame();
    Explanation[] out = new Explanation[k];
    for (int i = 0; i < k; i++) {
      boolean[] valid = store.valid(ords[i]);
      float[] boxes = store.boxes(ords[i]);
      List<Region> regionList = new ArrayList<>();
      for (int slot = 0; slot < t; slot++) {
        if (!valid[slot]) {
          continue;
        }
        int base = (i * t + slot) * l;
        int best = 0;
        for (int w = 1; w < l; w++) {
          if (gamma[base + w] > gamma[base + best]) {
            best = w;
          }
        }
        int token = best + 1; // word slot w is token w + 1 ([CLS] is token 0)
        String word = token < tokens.size() ? tokens.get(token) : "[PAD]";
        regionList.add(new Region(slot / perFrame, Arrays.copyOfRange(boxes, slot * 4, slot * 4 + 4), token, word,
            gamma[base + best]));
      }
      out[i] = new Explanation(store.frameNumbers(ords[i]), regionList);
    }
    return out;
  }

  /** Region embeddings [n, T, E] and additive masks [n, T] of some videos, in {@code sub}. */
  private NDArray[] regionArrays(int[] ords, NDManager sub) {
    RegionStore store = index.regions();
    int t = store.slots();
    float[] values = new float[ords.length * t * index.dim()];
    float[] mask = new float[ords.length * t];
    store.read(ords, values, mask);
    return new NDArray[] {sub.create(values, new Shape(ords.length, t, index.dim())),
        sub.create(mask, new Shape(ords.length, t))};
  }

  private static NDArray wordArray(Embedder.LocalSet words, NDManager sub) {
    return sub.create(words.values(), new Shape(1, words.slots(), words.dim()));
  }

  private static NDArray wordMask(Embedder.LocalSet words, NDManager sub) {
    return sub.create(words.mask(), new Shape(1, words.slots()));
  }

  private static double ms(long nanos) {
    return Math.round(nanos / 1e4) / 100.0;
  }

  @Override
  public void close() {
    loaded.model().close();
    tokenizer.close();
    index.close();
  }
}
