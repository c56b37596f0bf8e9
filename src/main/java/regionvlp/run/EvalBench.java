package regionvlp.run;

import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import regionvlp.eval.Similarity;
import regionvlp.model.Embedder;
import regionvlp.train.RegionWordAlignment;
import regionvlp.train.RwaKernel;
import regionvlp.train.RwaScores;

/**
 * The cost of RWA scoring at test time (docs/PERFORMANCE.md): the full [videos x captions] RWA matrix of
 * {@link RwaScores#matrix}, as {@code eval --score global+local} computes it, on synthetic local embeddings
 * at the fine-tune shape (8 frames x 30 regions, 99 word slots, 256-d), against its GEMM-bound time (the
 * FLOPs of its matmuls at the GEMM peak measured in the same process); then the two-stage
 * {@code --rerank-top K} scoring of {@link RwaScores#rerank}.
 *
 * <p>Matmul FLOPs per (video, caption) pair, with R region slots, L word slots and width E: the
 * region-word cosines 2 R L E, the attended-region norms 2 R^2 L (direction A, through the region Gram
 * matrix) and the attended-word norms 2 R L^2 (direction B): {@code 2 R L (E + R + L)}. The Gram matrices
 * themselves are per video or caption and not counted. The original computes the attended vectors
 * explicitly, 8 R L E per pair; that figure is reported too.
 */
public final class EvalBench {
  private EvalBench() {}

  /**
   * @param videos gallery size
   * @param texts queries
   * @param frames F
   * @param regions regions per frame
   * @param words word slots (L - 1)
   * @param dim embedding width
   * @param rerankTop K of the two-stage run (0 = skip it)
   * @param skipFull skip the full matrix (only the re-ranked run)
   * @param profile where to write a PyTorch profiler trace of the full matrix (chrome trace JSON), or null
   */
  public record Options(int videos, int texts, int frames, int regions, int words, int dim, int rerankTop,
      boolean skipFull, long seed, int[] gemmSizes, java.nio.file.Path profile) {
    public Options {
      if (videos < 1 || texts < 1 || frames < 1 || regions < 1 || words < 1 || dim < 1) {
        throw new IllegalArgumentException("--videos, --texts, --frames, --regions, --words, --dim must be >= 1");
      }
      if (rerankTop < 0) {
        throw new IllegalArgumentException("--rerank-top must be >= 0, found " + rerankTop);
      }
    }
  }

  /** Runs the benchmark; progress lines go to {@code log}. Returns the JSON report. */
  public static Map<String, Object> run(Options o, Consumer<String> log) {
    int slots = o.frames() * o.regions();
    SplittableRandom rnd = new SplittableRandom(o.seed());
    Embedder.LocalSet videos = localSet(rnd, o.videos(), slots, o.regions(), o.dim(), 1);
    Embedder.LocalSet texts = localSet(rnd, o.texts(), o.words(), o.words(), o.dim(), 7);
    float[][] gv = gaussian(rnd, o.videos(), o.dim());
    float[][] gt = gaussian(rnd, o.texts(), o.dim());
    RegionWordAlignment rwa = new RegionWordAlignment(true, false);
    double pairFlops = 2.0 * slots * o.words() * (o.dim() + slots + o.words());
    double pairs = (double) o.videos() * o.texts();

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("bench", "eval");
    out.put("videos", o.videos());
    out.put("texts", o.texts());
    out.put("regionSlots", slots);
    out.put("wordSlots", o.words());
    out.put("dim", o.dim());
    out.put("chunks", Map.of("videos", RwaScores.VIDEO_CHUNK, "texts", RwaScores.TEXT_CHUNK));
    try (NDManager root = NDManager.newBaseManager()) {
      GemmPeak.Result peak = GemmPeak.measure(root, o.gemmSizes(), 5);
      log.accept(String.format(Locale.ROOT, "GEMM peak %.1f GFLOP/s", peak.gflops()));
      double bound = pairs * pairFlops / (peak.gflops() * 1e9);
      out.put("gemmPeakGflops", TrainBench.round(peak.gflops(), 1));
      out.put("matmulGflop", TrainBench.round(pairs * pairFlops / 1e9, 6));
      out.put("originalAlgorithmGflop", TrainBench.round(pairs * 8.0 * slots * o.words() * o.dim() / 1e9, 6));
      out.put("gemmBoundSeconds", TrainBench.round(bound, 2));
      float[][] s = null;
      if (!o.skipFull()) {
        if (o.profile() != null) {
          ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
        }
        double[] phase0 = RwaKernel.fusedPhaseSeconds();
        long t0 = System.nanoTime();
        try {
          s = RwaScores.matrix(videos, texts, rwa, root, RwaScores.VIDEO_CHUNK, RwaScores.TEXT_CHUNK);
        } finally {
          if (o.profile() != null) {
            ai.djl.pytorch.jni.JniUtils.stopProfile(o.profile().toAbsolutePath().toString());
          }
        }
        double sec = (System.nanoTime() - t0) / 1e9;
        log.accept(String.format(Locale.ROOT, "full %d x %d RWA: %.2f s (GEMM-bound %.2f s, ratio %.2f)",
            o.videos(), o.texts(), sec, bound, sec / bound));
        out.put("fullSeconds", TrainBench.round(sec, 2));
        out.put("fullOverGemmBound", TrainBench.round(sec / bound, 2));
        out.put("fullPairsPerSecond", Math.round(pairs / sec));
        workerSeconds(phase0, "full", out, log);
      }
      if (o.rerankTop() > 0) {
        float[][] g = Similarity.cosine(gt, gv);
        double[] phase0 = RwaKernel.fusedPhaseSeconds();
        long t0 = System.nanoTime();
        float[][] m = RwaScores.rerank(g, videos, texts, rwa, root, o.rerankTop());
        double sec = (System.nanoTime() - t0) / 1e9;
        int k = Math.min(o.rerankTop(), o.videos());
        log.accept(String.format(Locale.ROOT, "re-rank top %d: %.2f s", k, sec));
        out.put("rerankTop", k);
        out.put("rerankSeconds", TrainBench.round(sec, 2));
        workerSeconds(phase0, "rerank", out, log);
        out.put("rerankPairsPerSecond", Math.round((double) o.texts() * k / sec));
        if (s != null) {
          out.put("fullOverRerank", TrainBench.round((Double) out.get("fullSeconds") / sec, 2));
          out.put("rerankMaxAbsDiff", maxDiff(g, s, m));
        }
      }
    }
    out.put("peakRssMb", Math.round(TrainBench.status("VmHWM") / 1024.0));
    out.put("mklIntelPath", MklDispatch.intelPathForced());
    return out;
  }

  /** The fused kernel's worker seconds per phase since {@code before}, as {@code <run>WorkerSeconds}. */
  private static void workerSeconds(double[] before, String run, Map<String, Object> out, Consumer<String> log) {
    out.put("rwaKernel", RwaKernel.active().label());
    if (RwaKernel.active() != RwaKernel.Kind.FUSED) {
      return;
    }
    double[] now = RwaKernel.fusedPhaseSeconds();
    Map<String, Object> cpu = new LinkedHashMap<>();
    cpu.put("matmuls", TrainBench.round(now[0] - before[0], 2));
    cpu.put("firstPass", TrainBench.round(now[1] - before[1], 2));
    cpu.put("secondPass", TrainBench.round(now[2] - before[2], 2));
    out.put(run + "WorkerSeconds", cpu);
    log.accept(String.format(Locale.ROOT, "%s: fused kernel, worker seconds: matmuls and gathers %.2f, first "
        + "pass %.2f, second pass %.2f", run, now[0] - before[0], now[1] - before[1], now[2] - before[2]));
  }

  /** Largest |M - (G + S^T)| over the re-scored pairs (those above G - 2): the two paths must agree. */
  private static double maxDiff(float[][] g, float[][] s, float[][] m) {
    double worst = 0;
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m[i].length; j++) {
        if (m[i][j] > g[i][j] - 3f) {
          worst = Math.max(worst, Math.abs(m[i][j] - (g[i][j] + s[j][i])));
        }
      }
    }
    return worst;
  }

  /** Normal values; per item a random number of valid slots (in whole groups of {@code group}). */
  private static Embedder.LocalSet localSet(SplittableRandom rnd, int n, int slots, int group, int dim,
      int minValid) {
    float[] values = new float[n * slots * dim];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) normal(rnd);
    }
    float[] mask = new float[n * slots];
    for (int i = 0; i < n; i++) {
      for (int g0 = 0; g0 < slots; g0 += group) {
        int least = Math.min(minValid, group);
        int valid = least + rnd.nextInt(group - least + 1);
        for (int k = 0; k < group && g0 + k < slots; k++) {
          mask[i * slots + g0 + k] = k < valid ? 0f : -100f;
        }
      }
    }
    return new Embedder.LocalSet(n, slots, dim, values, mask);
  }

  private static float[][] gaussian(SplittableRandom rnd, int n, int dim) {
    float[][] x = new float[n][dim];
    for (float[] row : x) {
      for (int k = 0; k < dim; k++) {
        row[k] = (float) normal(rnd);
      }
    }
    return x;
  }

  private static double normal(SplittableRandom rnd) {
    return Math.sqrt(-2.0 * Math.log(1.0 - rnd.nextDouble())) * Math.cos(2.0 * Math.PI * rnd.nextDouble());
  }
}
