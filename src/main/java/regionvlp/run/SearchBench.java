package regionvlp.run;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.SplittableRandom;
import regionvlp.eval.Similarity;
import regionvlp.index.Scored;
import regionvlp.index.VideoIndex;

/**
 * HNSW against exact search on the same queries: recall@k of the graph's top k against the exact top k,
 * and per-query latency of each path including text encoding (encode + search). Queries run one at a time,
 * after a warm-up that is not counted. The calling thread's CPU time is recorded too: with PyTorch on one
 * thread ({@code -Dai.djl.pytorch.num_threads=1}) all of a query's work runs on it, so that figure is what
 * the query would take on an idle core, whatever else the machine is doing.
 */
public final class SearchBench {
  private SearchBench() {}

  /**
   * Recall and latency figures (milliseconds).
   *
   * @param queries measured queries
   * @param k hits compared
   * @param candidates HNSW beam
   * @param recall mean of |HNSW top k ∩ exact top k| / k
   * @param minRecall the worst query's recall
   */
  public record Report(int videos, int queries, int k, int candidates, String queryVectors, double recall,
      double minRecall,
      double encodeP50, double hnswSearchP50, double hnswTotalP50, double hnswTotalP99, double exactSearchP50,
      double exactTotalP50, double exactTotalP99, double encodeCpuP50, double hnswTotalCpuP50) {
    /** JSON-ready fields. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("videos", videos);
      m.put("queries", queries);
      m.put("k", k);
      m.put("candidates", candidates);
      m.put("queryVectors", queryVectors);
      m.put("recall", Math.round(recall * 10000) / 10000.0);
      m.put("minRecall", Math.round(minRecall * 10000) / 10000.0);
      m.put("encodeP50Millis", encodeP50);
      m.put("hnswSearchP50Millis", hnswSearchP50);
      m.put("hnswTotalP50Millis", hnswTotalP50);
      m.put("hnswTotalP99Millis", hnswTotalP99);
      m.put("exactSearchP50Millis", exactSearchP50);
      m.put("exactTotalP50Millis", exactTotalP50);
      m.put("exactTotalP99Millis", exactTotalP99);
      m.put("encodeCpuP50Millis", encodeCpuP50);
      m.put("hnswTotalCpuP50Millis", hnswTotalCpuP50);
      return m;
    }
  }

  /** Where the query vectors come from. */
  public enum QueryVectors {
    /** The encoded query texts themselves. */
    TEXT,
    /**
     * Gallery vectors moved by Gaussian noise of norm about 0.5 and renormalised: queries from the
     * gallery's own distribution. Each query still encodes a text first, so latency includes encoding.
     */
    GALLERY
  }

  /**
   * Runs {@code warmup + count} queries: each encodes a text (round-robin), then searches its vector (or a
   * gallery-like vector, see {@link QueryVectors}) through the graph and exhaustively.
   *
   * @param seed picks and perturbs gallery vectors in GALLERY mode
   * @param progress told how many measured queries are done (may be null)
   */
  public static Report recall(VideoSearch search, List<String> texts, int count, int warmup, int k, int candidates,
      QueryVectors vectors, long seed, IntConsumer progress) {
    VideoIndex index = search.index();
    if (!index.hasHnsw()) {
      throw new IllegalArgumentException("the index " + index.dir() + " has no HNSW graph; build it with "
          + "--hnsw to measure recall");
    }
    if (count < 1 || texts.isEmpty()) {
      throw new IllegalArgumentException("need >= 1 query and a query text");
    }
    SplittableRandom rng = new SplittableRandom(seed);
    int dim = index.dim();
    int expected = Math.min(k, index.count());
    double[] encode = new double[count];
    double[] hnswSearch = new double[count];
    double[] hnswTotal = new double[count];
    double[] exactSearch = new double[count];
    double[] exactTotal = new double[count];
    double[] encodeCpu = new double[count];
    double[] hnswCpu = new double[count];
    java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
    double sum = 0;
    double min = 1;
    for (int i = -warmup; i < count; i++) {
      long c0 = cpu.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      float[] q = search.encodeQuery(texts.get(Math.floorMod(i, texts.size())));
      long t1 = System.nanoTime();
      long c1 = cpu.getCurrentThreadCpuTime();
      if (vectors == QueryVectors.GALLERY) {
        float[] v = index.vector(rng.nextInt(index.count()));
        float[] moved = new float[dim];
        for (int d = 0; d < dim; d++) {
          moved[d] = v[d] + (float) (0.5 / Math.sqrt(dim) * rng.nextGaussian());
        }
        q = Similarity.normalized(new float[][] {moved})[0];
      }
      long c2 = cpu.getCurrentThreadCpuTime();
      long t2 = System.nanoTime();
      Scored[] h = index.hnsw(q, k, candidates);
      long t3 = System.nanoTime();
      long c3 = cpu.getCurrentThreadCpuTime();
      Scored[] e = index.exact(q, k);
      long t4 = System.nanoTime();
      if (i < 0) {
        continue;
      }
      Set<Integer> truth = new HashSet<>();
      for (Scored x : e) {
        truth.add(x.ordinal());
      }
      long found = Arrays.stream(h).filter(x -> truth.contains(x.ordinal())).count();
      double r = (double) found / expected;
      sum += r;
      min = Math.min(min, r);
      encode[i] = ms(t1 - t0);
      hnswSearch[i] = ms(t3 - t2);
      exactSearch[i] = ms(t4 - t3);
      hnswTotal[i] = encode[i] + hnswSearch[i];
      exactTotal[i] = encode[i] + exactSearch[i];
      encodeCpu[i] = ms(c1 - c0);
      hnswCpu[i] = ms(c1 - c0) + ms(c3 - c2);
      if (progress != null) {
        progress.accept(i + 1);
      }
    }
    return new Report(index.count(), count, k, candidates, vectors.name().toLowerCase(java.util.Locale.ROOT),
        sum / count, min, p(encode, 50), p(hnswSearch, 50), p(hnswTotal, 50), p(hnswTotal, 99), p(exactSearch, 50),
        p(exactTotal, 50), p(exactTotal, 99), p(encodeCpu, 50), p(hnswCpu, 50));
  }

  private static double ms(long nanos) {
    return Math.round(nanos / 1e4) / 100.0;
  }

  /** Nearest-rank percentile. */
  static double p(double[] values, double pct) {
    double[] s = values.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(pct / 100.0 * s.length);
    return s[Math.max(0, rank - 1)];
  }
}
