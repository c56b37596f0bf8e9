package regionvlp.index;

import java.util.List;
import java.util.Map;

/**
 * Text-to-video search over an index: what the CLI and the HTTP server call. Implementations encode the
 * query with the index's checkpoint ({@code regionvlp.run.VideoSearch}) and must be thread-safe.
 */
public interface Searcher {
  /** Runs one query. @throws IllegalArgumentException for a request the index cannot serve */
  Result search(Request request);

  /** A JSON-ready summary of the index (count, width, what it can do, the checkpoint). */
  Map<String, Object> describe();

  /** How candidates are found. */
  enum Method {
    /** HNSW when the index has a graph, else exact. */
    AUTO,
    /** Brute force over every video. */
    EXACT,
    /** The Lucene HNSW graph. */
    HNSW
  }

  /**
   * One query.
   *
   * @param query the text
   * @param k hits wanted
   * @param rerankTop 0, or K: the global top K are re-scored with G + S (RWA on the stored regions)
   * @param explain whether each hit carries its regions and the words they align to
   * @param method candidate search
   * @param candidates HNSW beam: neighbours the graph search keeps (at least k and K are kept anyway)
   */
  record Request(String query, int k, int rerankTop, boolean explain, Method method, int candidates) {
    public Request {
      if (query == null || query.isBlank()) {
        throw new IllegalArgumentException("the query is empty: expected text to search for");
      }
      if (k < 1) {
        throw new IllegalArgumentException("k must be >= 1, found " + k);
      }
      if (rerankTop < 0) {
        throw new IllegalArgumentException("rerank-top must be >= 0, found " + rerankTop);
      }
      if (candidates < 1) {
        throw new IllegalArgumentException("candidates must be >= 1, found " + candidates);
      }
    }

    /** A plain global search. */
    public static Request of(String query, int k) {
      return new Request(query, k, 0, false, Method.AUTO, 100);
    }
  }

  /**
   * Ranked hits.
   *
   * @param query the query as given
   * @param method "exact" or "hnsw"
   * @param scoring "global" or "global, then G + S^T on the top K"
   * @param tokens the query's word pieces, [CLS] first (explanations refer to them)
   * @param hits best first
   * @param timings milliseconds per stage
   */
  record Result(String query, String method, String scoring, List<String> tokens, List<Hit> hits,
      Timings timings) {}

  /**
   * One ranked video.
   *
   * @param rank 1-based
   * @param videoId the id
   * @param score what it is ranked by: G, or G + S for re-ranked hits
   * @param global G, the cosine of the global embeddings
   * @param local S, the RWA similarity, or null when not re-ranked
   * @param explanation the regions and their words, or null
   */
  record Hit(int rank, String videoId, double score, double global, Double local, Explanation explanation) {}

  /**
   * Why a video matched: each real region of its sampled frames with the query word it attends to most
   * under RWA (the argmax of the region-to-word attention gamma, METHOD.md 3.2 direction B).
   *
   * @param frameNumbers the stored frame number behind each sampled frame
   * @param regions the real regions, frame by frame
   */
  record Explanation(int[] frameNumbers, List<Region> regions) {}

  /**
   * One region.
   *
   * @param frame index of the sampled frame (0..F-1)
   * @param box x1, y1, x2, y2 as fractions of the frame
   * @param token index into {@link Result#tokens} of the aligned word piece
   * @param word that word piece
   * @param weight its attention weight gamma in (0, 1]
   */
  record Region(int frame, float[] box, int token, String word, double weight) {}

  /** Milliseconds spent encoding the query, finding candidates, re-ranking, explaining, and in all. */
  record Timings(double encode, double search, double rerank, double explain, double total) {}
}
