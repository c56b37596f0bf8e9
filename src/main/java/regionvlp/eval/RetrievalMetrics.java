package regionvlp.eval;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Text-to-video and video-to-text retrieval metrics with Frozen-in-Time semantics (METHOD.md 5.3,
 * {@code model/metric.py}), generalised to any caption-to-video mapping.
 *
 * <p>Input: {@code scores[t][v]}, {@code [nText, nVideo]}, higher = more similar; {@code textToVideo[t]}
 * is the ground-truth video of text t. A video may have several texts, in any order; a video with no text
 * is a distractor for t2v and is not a v2t query. Frozen-in-Time's own mapping,
 * {@code floor(t / (nText / nVideo))}, is one special case.
 *
 * <p><b>t2v.</b> Query = text t. rank(t) = number of videos v with {@code scores[t][v] > scores[t][gt]},
 * 0-based; ties with the ground truth are broken optimistically (FiT's {@code break_ties =
 * "optimistically"}). Ranks are integers.
 *
 * <p><b>v2t.</b> Query = video v with at least one text. For each of its texts t, over the column
 * {@code s_u = scores[u][v]} of all texts u: with {@code g} = number of texts with {@code s_u > s_t} and
 * {@code e} = number with {@code s_u == s_t} (t itself included), the caption's rank is the mean of the
 * tied 0-based positions {@code g .. g+e-1}, i.e. {@code g + (e - 1) / 2} (FiT's {@code break_ties =
 * "averaging"}, {@code ranks.mean()}); other GT captions of v count like any other text. rank(v) = the
 * minimum over v's texts, and may be a half-integer.
 *
 * <p><b>Summary</b> per direction over ranks {@code r}: {@code R@1 = 100 * fraction(r == 0)} (FiT's
 * {@code cols == 0}; for integer ranks this is {@code r < 1}, but a v2t rank of 0.5 from a two-way tie at
 * the top does <em>not</em> count), {@code R@K = 100 * fraction(r < K)} for K = 5, 10, 50,
 * {@code MedR = median(r) + 1} (mean of the two middle values for an even count, as {@code np.median}),
 * {@code MeanR = mean(r) + 1}, and the geometric mean of R@1, R@5, R@10 ({@code scipy gmean}: 0 if any is
 * 0).
 *
 * <p>Comparisons are exact float comparisons, as the original's {@code sorted - gt == 0}. A NaN anywhere
 * is an error.
 */
public final class RetrievalMetrics {

  private RetrievalMetrics() {}

  /**
   * Summary of one direction.
   *
   * @param r1 R@1 in percent
   * @param r5 R@5 in percent
   * @param r10 R@10 in percent
   * @param r50 R@50 in percent
   * @param medR median rank, 1-based
   * @param meanR mean rank, 1-based
   * @param queries number of queries
   */
  public record DirectionMetrics(
      double r1, double r5, double r10, double r50, double medR, double meanR, int queries) {

    public DirectionMetrics {
      if (queries < 1) {
        throw new IllegalArgumentException("queries must be >= 1, found " + queries);
      }
    }

    /** Geometric mean of R@1, R@5, R@10 ({@code exp(mean(log))}, 0 when any of them is 0). */
    public double geometricMeanR1R5R10() {
      if (r1 <= 0 || r5 <= 0 || r10 <= 0) {
        return 0.0;
      }
      return Math.exp((Math.log(r1) + Math.log(r5) + Math.log(r10)) / 3.0);
    }

    /** One log line: {@code R@1 … R@5 … R@10 … R@50 … MedR … MnR … n …}. */
    public String format() {
      return String.format(
          Locale.ROOT,
          "R@1 %.1f R@5 %.1f R@10 %.1f R@50 %.1f MedR %.1f MnR %.1f n %d",
          r1,
          r5,
          r10,
          r50,
          medR,
          meanR,
          queries);
    }
  }

  /** Both directions. */
  public record Result(DirectionMetrics t2v, DirectionMetrics v2t) {
    public Result {
      Objects.requireNonNull(t2v, "t2v");
      Objects.requireNonNull(v2t, "v2t");
    }
  }

  /** t2v and v2t metrics; see the class javadoc for the exact rules. */
  public static Result compute(float[][] scores, int[] textToVideo) {
    int nVideo = validate(scores, textToVideo);
    double[] t2v = toDouble(textToVideoRanks(scores, textToVideo));
    double[] v2t = videoToTextRanks(scores, textToVideo, nVideo);
    return new Result(summarize(t2v), summarize(v2t));
  }

  /**
   * Per-query t2v ranks, for diagnostics.
   *
   * @return int[nText], 0-based optimistic rank of each text's ground-truth video
   */
  public static int[] textToVideoRanks(float[][] scores, int[] textToVideo) {
    validate(scores, textToVideo);
    int[] ranks = new int[scores.length];
    for (int t = 0; t < scores.length; t++) {
      float[] row = scores[t];
      float gt = row[textToVideo[t]];
      int better = 0;
      for (float s : row) {
        if (s > gt) {
          better++;
        }
      }
      ranks[t] = better;
    }
    return ranks;
  }

  /**
   * Per-query v2t ranks, for diagnostics.
   *
   * @return double[q], one entry per video that has at least one text, in video order; 0-based, ties
   *     averaged, best GT caption
   */
  public static double[] videoToTextRanks(float[][] scores, int[] textToVideo) {
    int nVideo = validate(scores, textToVideo);
    return videoToTextRanks(scores, textToVideo, nVideo);
  }

  private static double[] videoToTextRanks(float[][] scores, int[] textToVideo, int nVideo) {
    int nText = scores.length;
    double[] best = new double[nVideo];
    Arrays.fill(best, Double.POSITIVE_INFINITY);
    float[] column = new float[nText];
    for (int v = 0; v < nVideo; v++) {
      for (int u = 0; u < nText; u++) {
        column[u] = scores[u][v];
      }
      for (int t = 0; t < nText; t++) {
        if (textToVideo[t] != v) {
          continue;
        }
        float gt = column[t];
        int greater = 0;
        int equal = 0;
        for (float s : column) {
          if (s > gt) {
            greater++;
          } else if (s == gt) {
            equal++;
          }
        }
        best[v] = Math.min(best[v], greater + (equal - 1) / 2.0);
      }
    }
    return Arrays.stream(best).filter(Double::isFinite).toArray();
  }

  /** Summary of arbitrary 0-based ranks (R@1 counts {@code rank == 0}). */
  public static DirectionMetrics summarize(double[] ranks) {
    if (ranks.length == 0) {
      throw new IllegalArgumentException("expected at least one rank, found none");
    }
    int n = ranks.length;
    int at1 = 0;
    int at5 = 0;
    int at10 = 0;
    int at50 = 0;
    double sum = 0;
    for (double r : ranks) {
      at1 += r == 0 ? 1 : 0;
      at5 += r < 5 ? 1 : 0;
      at10 += r < 10 ? 1 : 0;
      at50 += r < 50 ? 1 : 0;
      sum += r;
    }
    double[] sorted = ranks.clone();
    Arrays.sort(sorted);
    double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    return new DirectionMetrics(
        100.0 * at1 / n,
        100.0 * at5 / n,
        100.0 * at10 / n,
        100.0 * at50 / n,
        median + 1,
        sum / n + 1,
        n);
  }

  private static double[] toDouble(int[] ranks) {
    double[] out = new double[ranks.length];
    for (int i = 0; i < ranks.length; i++) {
      out[i] = ranks[i];
    }
    return out;
  }

  /** Checks shapes, mapping and NaNs; returns nVideo. */
  private static int validate(float[][] scores, int[] textToVideo) {
    Objects.requireNonNull(scores, "scores");
    Objects.requireNonNull(textToVideo, "textToVideo");
    if (scores.length == 0) {
      throw new IllegalArgumentException("scores: expected at least one text row, found none");
    }
    if (textToVideo.length != scores.length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "textToVideo: expected one entry per text row (%d), found %d",
              scores.length,
              textToVideo.length));
    }
    int nVideo = scores[0].length;
    if (nVideo == 0) {
      throw new IllegalArgumentException("scores: expected at least one video column, found none");
    }
    for (int t = 0; t < scores.length; t++) {
      float[] row = scores[t];
      if (row.length != nVideo) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT, "scores row %d: expected %d video columns, found %d", t, nVideo, row.length));
      }
      for (int v = 0; v < nVideo; v++) {
        if (Float.isNaN(row[v])) {
          throw new IllegalArgumentException(
              String.format(Locale.ROOT, "scores[%d][%d] (text %d, video %d) is NaN", t, v, t, v));
        }
      }
      int gt = textToVideo[t];
      if (gt < 0 || gt >= nVideo) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT, "textToVideo[%d]: expected a video index in [0, %d), found %d", t, nVideo, gt));
      }
    }
    return nVideo;
  }
}
