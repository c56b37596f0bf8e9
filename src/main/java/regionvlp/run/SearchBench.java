package regionvlp.run;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;
import regionvlp.index.Searcher;

/**
 * HNSW against exact search on the same queries: recall@k of the graph's top k against the exact top k,
 * and per-query latency of each path including text encoding. Queries run one at a time, after a warm-up
 * that is not counted.
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
  public record Report(int videos, int queries, int k, int candidates, double recall, double minRecall,
      double encodeP50, double hnswSearchP50, double hnswTotalP50, double hnswTotalP99, double exactSearchP50,
      double exactTotalP50, double exactTotalP99) {
    /** JSON-ready fields. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("videos", videos);
      m.put("queries", queries);
      m.put("k", k);
      m.put("candidates", candidates);
      m.put("recall", Math.round(recall * 10000) / 10000.0);
      m.put("minRecall", Math.round(minRecall * 10000) / 10000.0);
      m.put("encodeP50Millis", encodeP50);
      m.put("hnswSearchP50Millis", hnswSearchP50);
      m.put("hnswTotalP50Millis", hnswTotalP50);
      m.put("hnswTotalP99Millis", hnswTotalP99);
      m.put("exactSearchP50Millis", exactSearchP50);
      m.put("exactTotalP50Millis", exactTotalP50);
      m.put("exactTotalP99Millis", exactTotalP99);
      return m;
    }
  }

  /**
   * Runs {@code warmup + count} queries (texts used round-robin) through both paths.
   *
   * @param progress told how many measured queries are done (may be null)
   */
  public static Report recall(VideoSearch search, List<String> texts, int count, int warmup, int k, int candidates,
      IntConsumer progress) {
    if (!search.index().hasHnsw()) {
      throw new IllegalArgumentException("the index " + search.index().dir() + " has no HNSW graph; build it with "
          + "--hnsw to measure recall");
    }
    if (count < 1 || texts.isEmpty()) {
      throw new IllegalArgumentException("need >= 1 query and a query text");
    }
    int expected = Math.min(k, search.index().count());
    double[] encode = new double[count];
    double[] hnswSearch = new double[count];
    double[] hnswTotal = new double[count];
    double[] exactSearch = new double[count];
    double[] exactTotal = new double[count];
    double sum = 0;
    double min = 1;
    for (int i = -warmup; i < count; i++) {
      String q = texts.get(Math.floorMod(i, texts.size()));
      Searcher.Result h = search.search(new Searcher.Request(q, k, 0, false, Searcher.Method.HNSW, candidates));
      Searcher.Result e = search.search(new Searcher.Request(q, k, 0, false, Searcher.Method.EXACT, candidates));
      if (i < 0) {
        continue;
      }
      Set<String> truth = new HashSet<>();
      e.hits().forEach(x -> truth.add(x.videoId()));
      long found = h.hits().stream().filter(x -> truth.contains(x.videoId())).count();
      double r = (double) found / expected;
      sum += r;
      min = Math.min(min, r);
      encode[i] = h.timings().encode();
      hnswSearch[i] = h.timings().search();
      hnswTotal[i] = h.timings().total();
      exactSearch[i] = e.timings().search();
      exactTotal[i] = e.timings().total();
      if (progress != null) {
        progress.accept(i + 1);
      }
    }
    return new Report(search.index().count(), count, k, candidates, sum / count, min, p(encode, 50),
        p(hnswSearch, 50), p(hnswTotal, 50), p(hnswTotal, 99), p(exactSearch, 50), p(exactTotal, 50),
        p(exactTotal, 99));
  }

  /** Nearest-rank percentile. */
  static double p(double[] values, double pct) {
    double[] s = values.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(pct / 100.0 * s.length);
    return s[Math.max(0, rank - 1)];
  }
}
