package regionvlp.eval;

/** Similarity matrices on plain arrays (no engine). */
public final class Similarity {
  /** Epsilon of the row norm, as Frozen-in-Time's sim_matrix ({@code x / max(||x||, eps)}). */
  public static final float NORM_EPS = 1e-8f;

  private Similarity() {}

  /**
   * Cosine matrix G[i][j] = cos(texts[i], videos[j]).
   *
   * @param texts [nText][E]
   * @param videos [nVideo][E]
   * @return [nText][nVideo]
   */
  public static float[][] cosine(float[][] texts, float[][] videos) {
    float[][] t = normalized(texts);
    float[][] v = normalized(videos);
    float[][] out = new float[t.length][v.length];
    java.util.stream.IntStream.range(0, t.length).parallel().forEach(i -> {
      float[] ti = t[i];
      for (int j = 0; j < v.length; j++) {
        float[] vj = v[j];
        float s = 0;
        for (int k = 0; k < ti.length; k++) {
          s += ti[k] * vj[k];
        }
        out[i][j] = s;
      }
    });
    return out;
  }

  /** Rows scaled to unit L2 norm (rows of norm below eps are divided by eps). */
  public static float[][] normalized(float[][] rows) {
    float[][] out = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      double n = 0;
      for (float x : rows[i]) {
        n += (double) x * x;
      }
      float d = (float) Math.max(Math.sqrt(n), NORM_EPS);
      out[i] = new float[rows[i].length];
      for (int k = 0; k < rows[i].length; k++) {
        out[i][k] = rows[i][k] / d;
      }
    }
    return out;
  }
}
