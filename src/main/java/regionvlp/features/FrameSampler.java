package regionvlp.features;

import java.util.Locale;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Chooses which of the K extracted frames of a clip feed the model (METHOD.md 1.5, the Frozen-in-Time
 * {@code sample_frames} rule that DemoVLP's {@code _sample_objects} copies).
 *
 * <p>The clip's frames {@code [0, K)} are split into {@code F' = min(F, K)} segments with boundaries
 * {@code b_i = (int) (i * ((double) K / F'))}, {@code i = 0..F'}, and {@code b_F' = K}. This reproduces
 * {@code np.linspace(0, K, F'+1).astype(int)} bit for bit: numpy computes {@code step = K / F'} once and
 * then {@code i * step} (not {@code i * K / F'}), truncates toward zero, and forces the last point to
 * {@code K}. It differs from integer {@code floor(i*K/F')} when F' is not a power of two, for example
 * K = 30, F = 22 gives {@code b_11 = 14}, not 15. Segment i covers frames {@code b_i .. b_{i+1}-1}.
 *
 * <ul>
 *   <li>{@link Mode#UNIFORM} (test/val): frame {@code floor((b_i + b_{i+1} - 1) / 2)} of each segment.
 *   <li>{@link Mode#RAND} (train), corrected (default): uniform in {@code [b_i, b_{i+1} - 1]}.
 *   <li>{@link Mode#RAND}, faithful: uniform in {@code [b_i, b_{i+1} - 2]}, the off-by-one of the original
 *       ({@code random.choice(range(b_i, b_{i+1} - 1))}): the last frame of a segment is never drawn and a
 *       1-frame segment is an error. Every segment has at least 2 frames exactly when {@code K >= 2F'}
 *       (gap G9: with 8 training frames, extract at least 16).
 * </ul>
 *
 * <p><b>F &gt; K.</b> {@link #sample} follows METHOD and silently returns only {@code min(F, K)} indices.
 * A loader that needs exactly F frames (fixed-size batches {@code [B, F, R, D+6]}) must call
 * {@link #hasEnoughFrames} or {@link #requireEnoughFrames} first and decide itself whether to refuse the
 * clip, pad, or accept fewer frames. The WebVid-only rule "if F == K use all frames" is not applied here;
 * for UNIFORM it gives the same indices anyway.
 *
 * <p>Instances are immutable and thread-safe; randomness comes only from the caller's generator.
 */
public final class FrameSampler {

  /** Sampling mode: {@code RAND} for training, {@code UNIFORM} for evaluation. */
  public enum Mode {
    RAND,
    UNIFORM
  }

  private final Mode mode;
  private final boolean faithful;

  /**
   * @param mode RAND or UNIFORM
   * @param faithful only for RAND: reproduce the original off-by-one ({@code [b_i, b_{i+1}-2]}); ignored
   *     by UNIFORM
   */
  public FrameSampler(Mode mode, boolean faithful) {
    this.mode = Objects.requireNonNull(mode, "mode");
    this.faithful = faithful;
  }

  /** The evaluation sampler. */
  public static FrameSampler uniform() {
    return new FrameSampler(Mode.UNIFORM, false);
  }

  /** The corrected training sampler (every frame of a segment can be drawn). */
  public static FrameSampler rand() {
    return new FrameSampler(Mode.RAND, false);
  }

  /** The code-faithful training sampler (last frame of each segment never drawn; needs K >= 2F). */
  public static FrameSampler randFaithful() {
    return new FrameSampler(Mode.RAND, true);
  }

  public Mode mode() {
    return mode;
  }

  public boolean faithful() {
    return faithful;
  }

  /** {@code F' = min(F, K)}, the number of indices {@link #sample} returns. */
  public static int effectiveFrames(int numAvailable, int numRequested) {
    checkCounts(numAvailable, numRequested);
    return Math.min(numRequested, numAvailable);
  }

  /** True when the clip has at least as many frames as requested ({@code K >= F}). */
  public static boolean hasEnoughFrames(int numAvailable, int numRequested) {
    checkCounts(numAvailable, numRequested);
    return numAvailable >= numRequested;
  }

  /**
   * Throws when {@code K < F}, for loaders that refuse short clips instead of using {@code F' = K}.
   *
   * @param where the clip (video id or folder) named in the message
   */
  public static void requireEnoughFrames(String where, int numAvailable, int numRequested) {
    if (!hasEnoughFrames(numAvailable, numRequested)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s: expected at least %d frames, found %d; extract more frames or lower numFrames",
              where,
              numRequested,
              numAvailable));
    }
  }

  /**
   * Segment boundaries {@code b_0 .. b_F'} as {@code np.linspace(0, K, F'+1).astype(int)} gives them.
   *
   * @return int[F' + 1], {@code b_0 = 0}, {@code b_F' = K}, non-decreasing
   */
  public static int[] boundaries(int numAvailable, int numRequested) {
    int segments = effectiveFrames(numAvailable, numRequested);
    double step = (double) numAvailable / segments;
    int[] b = new int[segments + 1];
    for (int i = 0; i < segments; i++) {
      b[i] = (int) (i * step);
    }
    b[segments] = numAvailable;
    return b;
  }

  /**
   * Frame indices for one clip.
   *
   * @param numAvailable K, the number of frame files of the clip (>= 1)
   * @param numRequested F (>= 1)
   * @param rng source of randomness for RAND; may be null for UNIFORM
   * @return sorted int[min(F, K)] of indices in {@code [0, K)}
   * @throws IllegalArgumentException for the faithful RAND sampler when some segment has a single frame
   *     ({@code K < 2 min(F, K)})
   */
  public int[] sample(int numAvailable, int numRequested, RandomGenerator rng) {
    int[] b = boundaries(numAvailable, numRequested);
    int segments = b.length - 1;
    int[] out = new int[segments];
    if (mode == Mode.UNIFORM) {
      for (int i = 0; i < segments; i++) {
        out[i] = Math.floorDiv(b[i] + b[i + 1] - 1, 2);
      }
      return out;
    }
    Objects.requireNonNull(rng, "rng is required for RAND sampling");
    if (faithful && numAvailable < 2 * segments) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "faithful RAND sampler needs K >= 2F frames, found K=%d for F=%d: it never picks the last"
                  + " frame of a segment, so 1-frame segments have nothing to draw; extract at least %d"
                  + " frames per clip (G9) or use the corrected sampler",
              numAvailable,
              segments,
              2 * segments));
    }
    for (int i = 0; i < segments; i++) {
      int lastInclusive = faithful ? b[i + 1] - 2 : b[i + 1] - 1;
      out[i] = rng.nextInt(b[i], lastInclusive + 1);
    }
    // Segments are disjoint and increasing, so the indices are already sorted.
    return out;
  }

  private static void checkCounts(int numAvailable, int numRequested) {
    if (numAvailable < 1) {
      throw new IllegalArgumentException("numAvailable (K) must be >= 1, found " + numAvailable);
    }
    if (numRequested < 1) {
      throw new IllegalArgumentException("numRequested (F) must be >= 1, found " + numRequested);
    }
  }

  @Override
  public String toString() {
    return "FrameSampler[" + mode + (mode == Mode.RAND ? (faithful ? ", faithful" : ", corrected") : "") + "]";
  }
}
