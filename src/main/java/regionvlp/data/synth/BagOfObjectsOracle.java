package regionvlp.data.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The bag-of-objects oracle: a caption is the set of vocabulary classes its nouns name (parsed from the text,
 * so it also works in captions-file mode), a video is the set of its salient classes, the score is their
 * Jaccard index. Attributes and motion are ignored, which is exactly what SynthVid's confusable groups defeat.
 *
 * <p>Ties are broken uniformly at random <em>in expectation</em>: a query whose ground truth shares the top
 * score with t - 1 other videos contributes 1/t to R@1 (generally P(rank <= K) for a rank uniform over the tied
 * block). Optimistic tie-breaking would credit the oracle with telling group twins apart, which by construction
 * it cannot; pessimistic tie-breaking would penalise it below chance.
 */
public final class BagOfObjectsOracle {
  private BagOfObjectsOracle() {}

  /** Expected recalls (fractions in [0, 1]) over {@code queries} queries and {@code videos} videos. */
  public record Result(int queries, int videos, double r1, double r5, double r10) {}

  /** |a ∩ b| / |a ∪ b|, 0 when both are empty. */
  public static double jaccard(Set<Integer> a, Set<Integer> b) {
    int inter = 0;
    for (Integer x : a) {
      if (b.contains(x)) {
        inter++;
      }
    }
    int union = a.size() + b.size() - inter;
    return union == 0 ? 0.0 : (double) inter / union;
  }

  /**
   * P(rank <= k) when the ground truth is tied with {@code ties - 1} others below {@code above} strictly better
   * videos and the order within the tie is uniformly random.
   */
  public static double expectedRecallAt(int k, int above, int ties) {
    return Math.max(0.0, Math.min(1.0, (double) (k - above) / ties));
  }

  /**
   * Scores every query against every video.
   *
   * @param queryClasses class set of each query caption
   * @param groundTruth index into {@code videoClasses} of each query's video
   * @param videoClasses salient class set of each video
   */
  public static Result evaluate(List<Set<Integer>> queryClasses, int[] groundTruth, List<Set<Integer>> videoClasses) {
    if (groundTruth.length != queryClasses.size()) {
      throw new IllegalArgumentException("groundTruth: expected " + queryClasses.size() + " entries, found "
          + groundTruth.length);
    }
    double r1 = 0;
    double r5 = 0;
    double r10 = 0;
    int n = queryClasses.size();
    for (int q = 0; q < n; q++) {
      Set<Integer> qc = queryClasses.get(q);
      double gt = jaccard(qc, videoClasses.get(groundTruth[q]));
      int above = 0;
      int ties = 0;
      for (Set<Integer> vc : videoClasses) {
        double s = jaccard(qc, vc); // equal rationals give bit-equal doubles (correctly rounded division)
        if (s > gt) {
          above++;
        } else if (s == gt) {
          ties++;
        }
      }
      r1 += expectedRecallAt(1, above, ties);
      r5 += expectedRecallAt(5, above, ties);
      r10 += expectedRecallAt(10, above, ties);
    }
    return n == 0 ? new Result(0, videoClasses.size(), 0, 0, 0)
        : new Result(n, videoClasses.size(), r1 / n, r5 / n, r10 / n);
  }

  /** Parses the captions with {@code parser} and evaluates; {@code groundTruth[q]} indexes {@code videoClasses}. */
  public static Result evaluate(CaptionParser parser, List<String> captions, int[] groundTruth,
      List<Set<Integer>> videoClasses) {
    List<Set<Integer>> q = new ArrayList<>(captions.size());
    for (String c : captions) {
      q.add(parser.classSet(c));
    }
    return evaluate(q, groundTruth, videoClasses);
  }

  /** The oracle on the test split of {@code world} (specs and captions only, no frames rendered). */
  public static Result evaluateTest(SynthWorld world) {
    int n = world.count(Split.TEST);
    List<String> caps = new ArrayList<>(n);
    List<Set<Integer>> vids = new ArrayList<>(n);
    int[] gt = new int[n];
    for (int i = 0; i < n; i++) {
      SynthSpec spec = world.spec(Split.TEST, i);
      caps.add(world.captions(Split.TEST, i, spec).get(0));
      vids.add(spec.classSet());
      gt[i] = i;
    }
    return evaluate(world.parser(), caps, gt, vids);
  }
}
