package regionvlp.index;

import java.util.Arrays;

/**
 * Brute-force top-k by dot product over unit rows. Each dot product is the same left-to-right float sum
 * as {@link regionvlp.eval.Similarity#cosine}, so exact search ranks videos exactly as {@code eval} does.
 * Ties go to the lower ordinal.
 */
public final class ExactSearch {
  private ExactSearch() {}

  /** The dot product of row {@code row} of {@code vectors} [.., dim] with {@code query}, summed left to right. */
  public static float dot(float[] vectors, int row, int dim, float[] query) {
    int base = row * dim;
    float s = 0;
    for (int k = 0; k < dim; k++) {
      s += query[k] * vectors[base + k];
    }
    return s;
  }

  /**
   * The {@code k} best rows.
   *
   * @param vectors [count, dim], row-major
   * @param query [dim]
   * @return at most k hits, best first
   */
  public static Scored[] topK(float[] vectors, int count, int dim, float[] query, int k) {
    if (query.length != dim) {
      throw new IllegalArgumentException("query has " + query.length + " values, the index " + dim);
    }
    int top = Math.min(k, count);
    if (top <= 0) {
      return new Scored[0];
    }
    // A min-heap of the best `top` so far: heap[0] is the worst kept hit.
    int[] ords = new int[top];
    float[] scores = new float[top];
    int size = 0;
    for (int i = 0; i < count; i++) {
      float s = dot(vectors, i, dim, query);
      if (size < top) {
        ords[size] = i;
        scores[size] = s;
        siftUp(ords, scores, size++);
      } else if (s > scores[0]) { // equal scores keep the earlier (lower) ordinal
        ords[0] = i;
        scores[0] = s;
        siftDown(ords, scores, size);
      }
    }
    Scored[] out = new Scored[size];
    for (int i = 0; i < size; i++) {
      out[i] = new Scored(ords[i], scores[i]);
    }
    Arrays.sort(out, Scored.BEST_FIRST);
    return out;
  }

  /** Worse = lower score, or equal score and higher ordinal. */
  private static boolean worse(int[] ords, float[] scores, int a, int b) {
    return scores[a] < scores[b] || (scores[a] == scores[b] && ords[a] > ords[b]);
  }

  private static void siftUp(int[] ords, float[] scores, int i) {
    while (i > 0) {
      int parent = (i - 1) / 2;
      if (!worse(ords, scores, i, parent)) {
        return;
      }
      swap(ords, scores, i, parent);
      i = parent;
    }
  }

  private static void siftDown(int[] ords, float[] scores, int size) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      int r = l + 1;
      int w = i;
      if (l < size && worse(ords, scores, l, w)) {
        w = l;
      }
      if (r < size && worse(ords, scores, r, w)) {
        w = r;
      }
      if (w == i) {
        return;
      }
      swap(ords, scores, i, w);
      i = w;
    }
  }

  private static void swap(int[] ords, float[] scores, int a, int b) {
    int o = ords[a];
    ords[a] = ords[b];
    ords[b] = o;
    float s = scores[a];
    scores[a] = scores[b];
    scores[b] = s;
  }
}
