package regionvlp.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ScoresTest {
  // G is [text][video]; S is [video][text], as the original indexes it.
  static final float[][] G = {{0.5f, 0.1f}, {0.2f, 0.4f}};
  static final float[][] S = {{1f, 2f}, {3f, 4f}};

  @Test
  void consistentScoreAddsTheTransposedLocalMatrix() {
    // M[i][j] = G[i][j] + S[j][i]: caption 0 vs video 1 gets S[video 1][caption 0] = 3.
    assertThat(Scores.consistent(G, S)).isDeepEqualTo(new float[][] {{1.5f, 3.1f}, {2.2f, 4.4f}});
  }

  @Test
  void localOnlyIsTheTransposedLocalMatrix() {
    // Caption 0 vs video 1 gets S[video 1][caption 0] = 3; a 3-video x 2-caption S gives a 2 x 3 matrix.
    assertThat(Scores.localOnly(S)).isDeepEqualTo(new float[][] {{1f, 3f}, {2f, 4f}});
    assertThat(Scores.localOnly(new float[][] {{1f, 2f}, {3f, 4f}, {5f, 6f}}))
        .isDeepEqualTo(new float[][] {{1f, 3f, 5f}, {2f, 4f, 6f}});
  }

  @Test
  void faithfulOrientationReproducesTheOriginalAddition() {
    // The original adds S[i][j] to G[i][j]: caption 0 vs video 1 gets S[video 0][caption 1] = 2.
    assertThat(Scores.faithfulOrientation(G, S)).isDeepEqualTo(new float[][] {{1.5f, 2.1f}, {3.2f, 4.4f}});
  }

  @Test
  void faithfulOrientationRefusesNonSquareMatrices() {
    float[][] g = {{0f, 0f, 0f}, {0f, 0f, 0f}}; // 2 captions x 3 videos
    float[][] s = {{0f, 0f}, {0f, 0f}, {0f, 0f}};
    assertThat(Scores.consistent(g, s)).hasDimensions(2, 3);
    assertThatThrownBy(() -> Scores.faithfulOrientation(g, s)).hasMessageContaining("square");
  }
}
