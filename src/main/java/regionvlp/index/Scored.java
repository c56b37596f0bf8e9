package regionvlp.index;

import java.util.Comparator;

/**
 * One candidate: a video's ordinal in the index and its score.
 *
 * @param ordinal row of the video in the index
 * @param score the global dot product (cosine of unit vectors)
 */
public record Scored(int ordinal, float score) {
  /** Higher score first; equal scores by ascending ordinal. */
  public static final Comparator<Scored> BEST_FIRST = (a, b) -> a.score() != b.score()
      ? (a.score() > b.score() ? -1 : 1) : Integer.compare(a.ordinal(), b.ordinal());
}
