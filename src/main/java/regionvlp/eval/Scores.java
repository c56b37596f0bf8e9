package regionvlp.eval;

/**
 * The test-time score matrix (METHOD.md 5.2) from G [nText][nVideo] and the RWA matrix S [nVideo][nText].
 *
 * <ul>
 *   <li>{@link #consistent}: M[i][j] = G[i][j] + S[j][i], the score of caption i against video j (the
 *       default; gap G1's recommendation).
 *   <li>{@link #faithfulOrientation}: M[i][j] = G[i][j] + S[i][j], the original's addition without a
 *       transpose. It only runs on square matrices, and there the local term of row i is the similarity of
 *       query i's own video to caption j.
 *   <li>{@link #localOnly}: M[i][j] = S[j][i], the RWA term alone.
 * </ul>
 */
public final class Scores {
  /** Score modes of {@code eval --score}. */
  public enum Mode {
    GLOBAL,
    GLOBAL_LOCAL,
    /** S^T alone: for models trained with the local term only (the issue 3 ablation). */
    LOCAL
  }

  private Scores() {}

  /** M = G + S^T. */
  public static float[][] consistent(float[][] g, float[][] s) {
    int nt = g.length;
    int nv = g[0].length;
    if (s.length != nv || s[0].length != nt) {
      throw new IllegalArgumentException("S: expected [" + nv + " videos][" + nt + " captions], found ["
          + s.length + "][" + s[0].length + "]");
    }
    float[][] m = new float[nt][nv];
    for (int i = 0; i < nt; i++) {
      for (int j = 0; j < nv; j++) {
        m[i][j] = g[i][j] + s[j][i];
      }
    }
    return m;
  }

  /** M = S^T: the caption-by-video orientation of the RWA matrix alone. */
  public static float[][] localOnly(float[][] s) {
    int nv = s.length;
    int nt = s[0].length;
    float[][] m = new float[nt][nv];
    for (int j = 0; j < nv; j++) {
      for (int i = 0; i < nt; i++) {
        m[i][j] = s[j][i];
      }
    }
    return m;
  }

  /**
   * M = G + S without transposition, as the original code adds them.
   *
   * @throws IllegalArgumentException unless G and S are square and of one size
   */
  public static float[][] faithfulOrientation(float[][] g, float[][] s) {
    int n = g.length;
    if (g[0].length != n || s.length != n || s[0].length != n) {
      throw new IllegalArgumentException("--faithful-orientation reproduces the original's G + S (no transpose),"
          + " which only exists for square matrices with one caption per video; found G [" + n + "]["
          + g[0].length + "] and S [" + s.length + "][" + s[0].length + "]");
    }
    float[][] m = new float[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        m[i][j] = g[i][j] + s[i][j];
      }
    }
    return m;
  }
}
