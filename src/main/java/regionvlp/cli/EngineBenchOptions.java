package regionvlp.cli;

import picocli.CommandLine.Option;
import regionvlp.run.GemmPeak;

/** Options shared by the engine benchmarks ({@code bench train}, {@code bench eval}). */
final class EngineBenchOptions {
  @Option(names = "--threads", description = "Engine threads, intra- and inter-op (default: the engine's).")
  Integer threads;

  @Option(names = "--gemm-sizes", split = ",", description = "Square sizes of the GEMM peak measurement "
      + "(default: 1024,2048,3072).")
  int[] gemmSizes = GemmPeak.SIZES;
}
