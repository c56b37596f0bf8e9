package regionvlp.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import regionvlp.eval.RetrievalMetrics.DirectionMetrics;
import regionvlp.eval.RetrievalMetrics.Result;

class RetrievalMetricsTest {

  private static final double EPS = 1e-9;

  @Test
  void identitySimilarityGivesPerfectScores() {
    float[][] s = new float[4][4];
    for (int i = 0; i < 4; i++) {
      s[i][i] = 1f;
    }
    Result r = RetrievalMetrics.compute(s, new int[] {0, 1, 2, 3});
    for (DirectionMetrics d : new DirectionMetrics[] {r.t2v(), r.v2t()}) {
      assertThat(d.r1()).isEqualTo(100.0);
      assertThat(d.r5()).isEqualTo(100.0);
      assertThat(d.r50()).isEqualTo(100.0);
      assertThat(d.medR()).isEqualTo(1.0);
      assertThat(d.meanR()).isEqualTo(1.0);
      assertThat(d.queries()).isEqualTo(4);
      assertThat(d.geometricMeanR1R5R10()).isCloseTo(100.0, within(EPS));
    }
  }

  @Test
  void tiesAreOptimisticForT2vAndAveragedForV2t() {
    // rows = texts, columns = videos, text i -> video i
    //   t0: [1, 1, 0]   t2v: no video > 1              -> rank 0 (tie with v1 ignored)
    //   t1: [0, 1, 1]   t2v: no video > 1              -> rank 0
    //   t2: [0, 0, 1]   t2v:                           -> rank 0
    // v2t, column per video over all texts:
    //   v0: [1, 0, 0], GT t0 = 1: 0 greater, 1 equal   -> 0
    //   v1: [1, 1, 0], GT t1 = 1: 0 greater, 2 equal   -> mean of positions {0, 1} = 0.5
    //   v2: [0, 1, 1], GT t2 = 1: 0 greater, 2 equal   -> 0.5
    // v2t ranks [0, 0.5, 0.5]: R@1 counts rank == 0 (FiT) -> 1/3; R@5 3/3;
    //   MedR = 0.5 + 1 = 1.5; MeanR = (1/3) + 1.
    float[][] s = {{1, 1, 0}, {0, 1, 1}, {0, 0, 1}};
    int[] gt = {0, 1, 2};
    assertThat(RetrievalMetrics.textToVideoRanks(s, gt)).containsExactly(0, 0, 0);
    assertThat(RetrievalMetrics.videoToTextRanks(s, gt)).containsExactly(0.0, 0.5, 0.5);
    Result r = RetrievalMetrics.compute(s, gt);
    assertThat(r.t2v().r1()).isEqualTo(100.0);
    assertThat(r.t2v().medR()).isEqualTo(1.0);
    assertThat(r.v2t().r1()).isCloseTo(100.0 / 3, within(EPS));
    assertThat(r.v2t().r5()).isEqualTo(100.0);
    assertThat(r.v2t().medR()).isEqualTo(1.5);
    assertThat(r.v2t().meanR()).isCloseTo(1.0 / 3 + 1, within(EPS));
  }

  @Test
  void severalUnorderedCaptionsPerVideo() {
    // 5 texts, 2 videos, mapping t -> v = [1, 0, 1, 0, 1]
    //   t0 (v1): [0.9, 0.1]  v0 > GT           -> t2v rank 1
    //   t1 (v0): [0.8, 0.2]                    -> 0
    //   t2 (v1): [0.3, 0.7]                    -> 0
    //   t3 (v0): [0.4, 0.6]  v1 > GT           -> 1
    //   t4 (v1): [0.5, 0.5]  tie, optimistic   -> 0
    // t2v ranks [1,0,0,1,0]: R@1 60, R@5 100, MedR median(0,0,0,1,1)+1 = 1, MeanR 0.4+1 = 1.4
    // v2t v0, column [0.9,0.8,0.3,0.4,0.5]: t1 (0.8) has 1 above -> 1; t3 (0.4) has 3 above -> 3; best 1
    // v2t v1, column [0.1,0.2,0.7,0.6,0.5]: t0 -> 4, t2 (0.7) -> 0, t4 (0.5) -> 2; best 0
    // v2t ranks [1, 0]: R@1 50, MedR 0.5+1 = 1.5, MeanR 1.5
    float[][] s = {{0.9f, 0.1f}, {0.8f, 0.2f}, {0.3f, 0.7f}, {0.4f, 0.6f}, {0.5f, 0.5f}};
    int[] gt = {1, 0, 1, 0, 1};
    assertThat(RetrievalMetrics.textToVideoRanks(s, gt)).containsExactly(1, 0, 0, 1, 0);
    assertThat(RetrievalMetrics.videoToTextRanks(s, gt)).containsExactly(1.0, 0.0);
    Result r = RetrievalMetrics.compute(s, gt);
    assertThat(r.t2v().r1()).isCloseTo(60.0, within(EPS));
    assertThat(r.t2v().r5()).isEqualTo(100.0);
    assertThat(r.t2v().medR()).isEqualTo(1.0);
    assertThat(r.t2v().meanR()).isCloseTo(1.4, within(EPS));
    assertThat(r.t2v().queries()).isEqualTo(5);
    assertThat(r.v2t().r1()).isEqualTo(50.0);
    assertThat(r.v2t().medR()).isEqualTo(1.5);
    assertThat(r.v2t().meanR()).isEqualTo(1.5);
    assertThat(r.v2t().queries()).isEqualTo(2);
  }

  @Test
  void nonSquareGalleryWithDistractorVideos() {
    // 2 texts, 4 videos; videos 1 and 3 have no caption (t2v distractors, not v2t queries)
    //   t0 -> v2: [0.1, 0.9, 0.5, 0.5]  only v1 (0.9) above 0.5         -> 1
    //   t1 -> v0: [0.3, 0.2, 0.4, 0.1]  only v2 (0.4) above 0.3         -> 1
    // t2v: R@1 0, R@5 100, MedR 2, MeanR 2
    // v2t: v0 column [0.1, 0.3], GT t1 = 0.3 -> 0; v2 column [0.5, 0.4], GT t0 = 0.5 -> 0
    float[][] s = {{0.1f, 0.9f, 0.5f, 0.5f}, {0.3f, 0.2f, 0.4f, 0.1f}};
    int[] gt = {2, 0};
    Result r = RetrievalMetrics.compute(s, gt);
    assertThat(r.t2v().r1()).isEqualTo(0.0);
    assertThat(r.t2v().r5()).isEqualTo(100.0);
    assertThat(r.t2v().medR()).isEqualTo(2.0);
    assertThat(r.t2v().meanR()).isEqualTo(2.0);
    assertThat(r.t2v().geometricMeanR1R5R10()).isEqualTo(0.0);
    assertThat(r.v2t().r1()).isEqualTo(100.0);
    assertThat(r.v2t().queries()).isEqualTo(2);
  }

  @Test
  void recallAtKUsesStrictRankBelowK() {
    // 60 videos, one text whose GT is beaten by exactly 5 videos -> rank 5: not in R@5, in R@10
    float[][] s = new float[1][60];
    for (int v = 0; v < 5; v++) {
      s[0][v] = 2f;
    }
    s[0][59] = 1f;
    DirectionMetrics t2v = RetrievalMetrics.compute(s, new int[] {59}).t2v();
    assertThat(t2v.r5()).isEqualTo(0.0);
    assertThat(t2v.r10()).isEqualTo(100.0);
    assertThat(t2v.r50()).isEqualTo(100.0);
    assertThat(t2v.medR()).isEqualTo(6.0);
  }

  @Test
  void metricsInvariantUnderGalleryAndQueryPermutation() {
    long seed = 20240611L;
    SplittableRandom rng = new SplittableRandom(seed);
    int nText = 37;
    int nVideo = 23;
    float[][] s = new float[nText][nVideo];
    int[] gt = new int[nText];
    for (int t = 0; t < nText; t++) {
      gt[t] = t < nVideo ? t : rng.nextInt(nVideo); // every video has >= 1 caption
      for (int v = 0; v < nVideo; v++) {
        s[t][v] = rng.nextInt(8) / 8f; // coarse values -> many ties
      }
    }
    int[] videoPerm = permutation(nVideo, rng); // new column j holds old video videoPerm[j]
    int[] textPerm = permutation(nText, rng);
    int[] oldToNewVideo = new int[nVideo];
    for (int j = 0; j < nVideo; j++) {
      oldToNewVideo[videoPerm[j]] = j;
    }
    float[][] p = new float[nText][nVideo];
    int[] pgt = new int[nText];
    for (int i = 0; i < nText; i++) {
      for (int j = 0; j < nVideo; j++) {
        p[i][j] = s[textPerm[i]][videoPerm[j]];
      }
      pgt[i] = oldToNewVideo[gt[textPerm[i]]];
    }
    Result a = RetrievalMetrics.compute(s, gt);
    Result b = RetrievalMetrics.compute(p, pgt);
    assertThat(b).as("seed %d", seed).isEqualTo(a);
    assertThat(a.t2v().r1()).as("seed %d: test needs non-trivial metrics", seed).isBetween(1.0, 99.0);
  }

  @Test
  void nanIsRejectedWithItsPosition() {
    float[][] s = {{1, 0}, {0, Float.NaN}};
    assertThatThrownBy(() -> RetrievalMetrics.compute(s, new int[] {0, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scores[1][1]")
        .hasMessageContaining("NaN");
  }

  @Test
  void mappingOutOfRangeIsRejected() {
    float[][] s = {{1, 0}, {0, 1}};
    assertThatThrownBy(() -> RetrievalMetrics.compute(s, new int[] {0, 2}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("textToVideo[1]")
        .hasMessageContaining("found 2");
  }

  private static int[] permutation(int n, SplittableRandom rng) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }
}
