package regionvlp.train;

import java.util.Locale;
import java.util.concurrent.ForkJoinPool;

/**
 * Which implementation scores RWA without autograd: the fused kernel ({@link FusedRwa}, needs the JDK
 * module {@code jdk.incubator.vector}, which the {@code regionvlp} launcher and the test JVM add) or the
 * engine operators of {@link RegionWordAlignment#similarity}. Both compute the same definition; the fused
 * one is about twice as fast at evaluation sizes (docs/PERFORMANCE.md). The system property {@code
 * regionvlp.rwaKernel} ({@code fused} or {@code ops}) overrides the choice.
 */
public final class RwaKernel {
  /** The system property that picks the implementation: {@code fused} or {@code ops}. */
  public static final String PROPERTY = "regionvlp.rwaKernel";

  /** Videos per block of the fused kernel. */
  static final int VIDEOS_PER_BLOCK = 1;
  /** Captions per block of the fused kernel. */
  static final int CAPTIONS_PER_BLOCK = 16;

  private static volatile ForkJoinPool pool;

  private RwaKernel() {}

  /** The implementations. */
  public enum Kind {
    FUSED, OPS;

    /** The name as the property and the reports spell it. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Whether this JVM can run the fused kernel (the module {@code jdk.incubator.vector} is loaded). */
  public static boolean fusedAvailable() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  /** The implementation in use: the property's, else the fused kernel when available. */
  public static Kind active() {
    String p = System.getProperty(PROPERTY, "").trim().toLowerCase(Locale.ROOT);
    switch (p) {
      case "" -> {
        return fusedAvailable() ? Kind.FUSED : Kind.OPS;
      }
      case "ops" -> {
        return Kind.OPS;
      }
      case "fused" -> {
        if (!fusedAvailable()) {
          throw new IllegalStateException("-D" + PROPERTY + "=fused needs the JDK module jdk.incubator.vector: "
              + "run java with --add-modules jdk.incubator.vector (the regionvlp launcher does)");
        }
        return Kind.FUSED;
      }
      default -> throw new IllegalArgumentException("-D" + PROPERTY + " must be fused or ops, found '" + p + "'");
    }
  }

  /** S [videos x captions] by the fused kernel. Only call when {@link #fusedAvailable()}. */
  static float[] fused(boolean focal, boolean validOnly, RegionWordAlignment.Side regions,
      RegionWordAlignment.Side words, int videosPerBlock, int captionsPerBlock) {
    return new FusedRwa(focal, validOnly, videosPerBlock, captionsPerBlock, pool())
        .similarity(regions, words);
  }

  /**
   * Seconds the fused kernel's workers have spent since start-up, summed over workers: in the engine's
   * matmuls, in the first element-wise pass and in the second.
   */
  public static double[] fusedPhaseSeconds() {
    if (!fusedAvailable()) {
      return new double[3];
    }
    double[] out = new double[3];
    for (int i = 0; i < 3; i++) {
      out[i] = FusedRwa.PHASE_NANOS[i].sum() / 1e9;
    }
    return out;
  }

  /** S of chosen pairs by the fused kernel ({@link RegionWordAlignment#scorePairs}). */
  static float[] fusedPairs(boolean focal, boolean validOnly, RegionWordAlignment.Side regions,
      RegionWordAlignment.Side words, int[][] videosOfCaption) {
    return new FusedRwa(focal, validOnly, VIDEOS_PER_BLOCK, CAPTIONS_PER_BLOCK, pool())
        .pairs(regions, words, videosOfCaption);
  }

  /** Workers for the element-wise passes: as many as the engine's intra-op threads, made on first use. */
  private static ForkJoinPool pool() {
    ForkJoinPool p = pool;
    if (p == null) {
      synchronized (RwaKernel.class) {
        p = pool;
        if (p == null) {
          int threads = Math.max(1, ai.djl.pytorch.jni.JniUtils.getNumThreads());
          p = new ForkJoinPool(threads);
          pool = p;
        }
      }
    }
    return p;
  }
}
