package regionvlp.run;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.Locale;

/**
 * Process-wide settings of native memory that make the engine's large, short-lived tensors cheap
 * (docs/PERFORMANCE.md, "Native memory"). A training step allocates and frees gigabytes of activations
 * and optimiser temporaries; by default glibc serves blocks above its mmap threshold with fresh
 * {@code mmap}s and returns freed heap tops to the kernel, so every step page-faults its working set in
 * again (and the kernel zeroes it). Two settings, made once before the engine allocates anything:
 *
 * <ul>
 *   <li>{@code mallopt}: the mmap threshold at its maximum (32 MB) and trimming only above 1 GB, so freed
 *       blocks are reused from the heap;
 *   <li>{@code THP_MEM_ALLOC_ENABLE=1} for PyTorch: tensors of 2 MB and more are 2 MB-aligned and advised
 *       as transparent huge pages, one fault per 2 MB instead of per 4 KB (the system's THP mode is
 *       "madvise" on the reference machine).
 * </ul>
 *
 * Neither changes a computed value. Off with {@code -Dregionvlp.nativeTuning=false} (for A/B runs).
 */
public final class NativeMemory {
  private NativeMemory() {}

  private interface LibC extends Library {
    int setenv(String name, String value, int overwrite);

    int mallopt(int param, int value);
  }

  private static final int M_TRIM_THRESHOLD = -1;
  private static final int M_MMAP_THRESHOLD = -3;

  private static String applied = "not configured";

  /**
   * Applies the settings unless turned off; call before the first engine use. Linux/glibc only; elsewhere
   * (or when the C library cannot be loaded) it does nothing.
   *
   * @return a one-line description of what was applied, for logs and benchmark reports
   */
  public static synchronized String configure() {
    if (!"not configured".equals(applied)) {
      return applied;
    }
    if (!Boolean.parseBoolean(System.getProperty("regionvlp.nativeTuning", "true"))) {
      applied = "off (-Dregionvlp.nativeTuning=false)";
      return applied;
    }
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      applied = "off (not Linux)";
      return applied;
    }
    try {
      LibC c = Native.load("c", LibC.class);
      int env = c.setenv("THP_MEM_ALLOC_ENABLE", "1", 0);
      int mmap = c.mallopt(M_MMAP_THRESHOLD, 32 << 20);
      int trim = c.mallopt(M_TRIM_THRESHOLD, 1 << 30);
      applied = String.format(Locale.ROOT, "THP_MEM_ALLOC_ENABLE=%s, mallopt mmap threshold 32 MB %s, "
          + "trim threshold 1 GB %s", env == 0 ? "1" : "unchanged", mmap == 1 ? "set" : "refused",
          trim == 1 ? "set" : "refused");
    } catch (LinkageError | RuntimeException e) {
      applied = "off (" + e.getMessage() + ")";
    }
    return applied;
  }

  /** What {@link #configure} applied. */
  public static synchronized String applied() {
    return applied;
  }
}
