package regionvlp.run;

import regionvlp.data.AtomicFiles;
import regionvlp.data.ClipFaultException;
import regionvlp.data.DataFault;
import regionvlp.data.InvalidInputFileException;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;
import regionvlp.data.Npy;
import regionvlp.data.NpyArray;
import regionvlp.eval.RetrievalMetrics;
import regionvlp.eval.Scores;
import regionvlp.train.RegionWordAlignment;
import regionvlp.train.RwaScores;
import regionvlp.eval.Similarity;
import regionvlp.features.ClipDataset;
import regionvlp.model.DualEncoder;
import regionvlp.model.Embedder;
import regionvlp.model.PretrainedText;
import regionvlp.text.CaptionTokenizer;
import regionvlp.text.TokenizedCaptions;

/**
 * Text-to-video and video-to-text retrieval of one split (METHOD.md 5): every caption and every video is
 * encoded (videos with the uniform test sampler), G is the cosine matrix, and the metrics follow
 * Frozen-in-Time's conventions (5.3). The protocol block records what was evaluated: the dataset, split and
 * metadata file, how the metadata was read (physical lines and records, header policy G12, caption policy),
 * how many items were listed and evaluated, and every excluded item with its fault (only with
 * {@code --allow-missing}; otherwise a bad item is an error).
 */
public final class Evaluation {
  private Evaluation() {}

  /** Metrics plus the protocol they were computed under. */
  public record Report(RetrievalMetrics.Result metrics, Map<String, Object> protocol) {
    /** The {@code --json} object: {@code {"t2v":{...},"v2t":{...},"protocol":{...}}}. */
    public Map<String, Object> toJson() {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("t2v", direction(metrics.t2v()));
      out.put("v2t", direction(metrics.v2t()));
      out.put("protocol", protocol);
      return out;
    }

    private static Map<String, Object> direction(RetrievalMetrics.DirectionMetrics m) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("R@1", round(m.r1()));
      d.put("R@5", round(m.r5()));
      d.put("R@10", round(m.r10()));
      d.put("R@50", round(m.r50()));
      d.put("MedR", round(m.medR()));
      d.put("MeanR", round(m.meanR()));
      return d;
    }

    private static double round(double v) {
      return Math.round(v * 100.0) / 100.0;
    }

    /** A two-row table, one line per direction. */
    public String table(String title) {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "%-28s %7s %7s %7s %7s %7s %8s%n", title, "R@1", "R@5", "R@10",
          "R@50", "MedR", "MeanR"));
      row(sb, "  t2v", metrics.t2v());
      row(sb, "  v2t", metrics.v2t());
      return sb.toString();
    }

    private static void row(StringBuilder sb, String name, RetrievalMetrics.DirectionMetrics m) {
      sb.append(String.format(Locale.ROOT, "%-28s %7.2f %7.2f %7.2f %7.2f %7.1f %8.1f%n", name, m.r1(), m.r5(),
          m.r10(), m.r50(), m.medR(), m.meanR()));
    }
  }

  /**
   * How the score matrix is formed (METHOD.md 5.2).
   *
   * @param mode global only, global plus the RWA term, or the RWA term alone
   * @param faithfulOrientation add S without transposing it, as the original (square matrices only)
   * @param focal the focal filter inside RWA
   * @param rwaValidOnly average RWA over real slots only
   * @param dumpScores where to write the final float32 [nText, nVideo] matrix as .npy, or null
   * @param rerankTop 0 for the full matrix; K > 0 ranks by G, then adds the RWA term to each query's top K
   *     videos only (those stay above the rest, which keep their G order)
   */
  public record Scoring(Scores.Mode mode, boolean faithfulOrientation, boolean focal, boolean rwaValidOnly,
      Path dumpScores, int rerankTop) {
    public Scoring {
      if (rerankTop < 0) {
        throw new IllegalArgumentException("--rerank-top must be >= 0, found " + rerankTop);
      }
      if (faithfulOrientation && mode != Scores.Mode.GLOBAL_LOCAL) {
        throw new IllegalArgumentException("--faithful-orientation needs --score global+local");
      }
      if (rerankTop > 0 && (mode != Scores.Mode.GLOBAL_LOCAL || faithfulOrientation)) {
        throw new IllegalArgumentException("--rerank-top needs --score global+local and no --faithful-orientation");
      }
    }

    /** Global cosine only. */
    public static Scoring global() {
      return new Scoring(Scores.Mode.GLOBAL, false, true, false, null, 0);
    }
  }

  /** Global-only evaluation (see {@link #run(DualEncoder, NDManager, ClipDataset, String, Path, boolean, IntConsumer, Scoring)}). */
  public static Report run(DualEncoder model, NDManager manager, ClipDataset ds, String datasetName, Path meta,
      boolean headerSkip, IntConsumer progress) {
    return run(model, manager, ds, datasetName, meta, headerSkip, progress, Scoring.global());
  }

  /**
   * Evaluates {@code model} on a split.
   *
   * @param datasetName recorded in the protocol block
   * @param meta the split's caption table (recorded by file name)
   * @param progress told how many videos are encoded (may be null)
   */
  public static Report run(DualEncoder model, NDManager manager, ClipDataset ds, String datasetName, Path meta,
      boolean headerSkip, IntConsumer progress, Scoring scoring) {
    try {
      return evaluate(model, manager, ds, datasetName, meta, headerSkip, progress, scoring);
    } catch (ClipFaultException e) {
      // A fault the up-front checks cannot see (corrupt file, wrong width, NaN) in a frame being encoded.
      throw new InvalidInputFileException(e.path(), e.reason() + "; evaluation never drops a test"
          + " item silently: run 'regionvlp data check', fix the clip, or pass --allow-missing to exclude it", e);
    }
  }

  private static Report evaluate(DualEncoder model, NDManager manager, ClipDataset ds, String datasetName,
      Path meta, boolean headerSkip, IntConsumer progress, Scoring scoring) {
    TokenizedCaptions tok;
    try (CaptionTokenizer tokenizer = PretrainedText.tokenizer(model.config().text())) {
      tok = tokenizer.encode(ds.captions());
    }
    Embedder embedder = new Embedder(model, manager, 64);
    float[][] scores;
    if (scoring.mode() == Scores.Mode.GLOBAL) {
      float[][] videos = embedder.videos(ds, progress);
      float[][] texts = embedder.captions(tok);
      scores = Similarity.cosine(texts, videos);
    } else {
      Embedder.Encoded videos = embedder.videosWithLocal(ds, progress);
      Embedder.Encoded texts = embedder.captionsWithLocal(tok);
      float[][] g = Similarity.cosine(texts.global(), videos.global());
      RegionWordAlignment rwa = new RegionWordAlignment(scoring.focal(), scoring.rwaValidOnly());
      if (scoring.rerankTop() > 0) {
        scores = RwaScores.rerank(g, videos.local(), texts.local(), rwa, manager, scoring.rerankTop());
      } else {
        float[][] s = RwaScores.matrix(videos.local(), texts.local(), rwa, manager, RwaScores.VIDEO_CHUNK,
            RwaScores.TEXT_CHUNK);
        scores = scoring.mode() == Scores.Mode.LOCAL ? Scores.localOnly(s)
            : scoring.faithfulOrientation() ? Scores.faithfulOrientation(g, s) : Scores.consistent(g, s);
      }
    }
    if (scoring.dumpScores() != null) {
      writeNpy(scoring.dumpScores(), scores);
    }
    RetrievalMetrics.Result metrics = RetrievalMetrics.compute(scores, ds.captionToVideo());
    Map<String, Object> protocol = new LinkedHashMap<>();
    protocol.put("dataset", datasetName);
    protocol.put("split", ds.index().split());
    protocol.put("meta", meta.toString());
    protocol.putAll(ds.index().protocol()); // metaFile, metaLines, metaRecords, headerSkip, captionPolicy
    protocol.putIfAbsent("headerSkip", headerSkip);
    protocol.put("queries", ds.numCaptions());
    protocol.put("videos", ds.numVideos());
    protocol.put("itemsListed", ds.index().captions().size() + ds.index().rowFaults().size());
    protocol.put("itemsEvaluated", ds.numCaptions());
    protocol.put("excluded", ds.excluded().stream().map(DataFault::toJson).toList());
    protocol.put("frames", ds.numFrames());
    protocol.put("regions", ds.numRegions());
    protocol.put("sampling", "uniform");
    protocol.put("score", scoring.mode() == Scores.Mode.GLOBAL ? "global"
        : scoring.mode() == Scores.Mode.LOCAL ? "local (S^T)"
        : scoring.faithfulOrientation() ? "global+local (G + S, original orientation)"
        : scoring.rerankTop() > 0 ? "global, then G + S^T on the top " + scoring.rerankTop()
        : "global+local (G + S^T)");
    protocol.put("ties", "t2v optimistic, v2t averaged (Frozen-in-Time)");
    return new Report(metrics, protocol);
  }

  /** Writes a float32 matrix as a C-order .npy file, atomically. */
  static void writeNpy(Path file, float[][] m) {
    int rows = m.length;
    int cols = rows == 0 ? 0 : m[0].length;
    float[] flat = new float[rows * cols];
    for (int i = 0; i < rows; i++) {
      System.arraycopy(m[i], 0, flat, i * cols, cols);
    }
    AtomicFiles.write(file, Npy.toBytes(NpyArray.ofFloats(flat, rows, cols)));
  }
}
