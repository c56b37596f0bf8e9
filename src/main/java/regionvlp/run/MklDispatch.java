package regionvlp.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the opt-in oneMKL kernel selection of {@code src/main/native/mkl_intel_path.c} is active in this
 * process (docs/PERFORMANCE.md, "GEMM on AMD CPUs"); benchmark reports record it, because it changes the
 * engine's GEMM speed, and with it the measured peak, by up to 2x on AMD CPUs.
 */
public final class MklDispatch {
  private MklDispatch() {}

  /** True when {@code libmkl_intel_path.so} is mapped into this process (LD_PRELOAD by the launcher). */
  public static boolean intelPathForced() {
    try {
      return Files.readString(Path.of("/proc/self/maps")).contains("libmkl_intel_path.so");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
