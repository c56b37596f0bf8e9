package regionvlp.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import regionvlp.run.Json;
import regionvlp.run.TrainBench;

/** {@code regionvlp bench train}: training-step throughput, FLOPs and MFU at a preset's shapes. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Time the full training step (forward, loss, backward, AdamW) on a synthetic batch at a "
        + "preset's shapes; report samples/s, ms/step, peak RSS, FLOPs/sample, the measured GEMM peak and MFU.",
    footer = {"", "Examples:",
        "  regionvlp bench train --preset demovlp-pretrain --batch 32 --steps 5 --warmup 2 --json",
        "  regionvlp bench train --preset quickstart --steps 500 --json      # resource / RSS flatness"})
final class BenchTrainCommand implements Callable<Integer> {
  @Option(names = "--preset", defaultValue = "demovlp-pretrain",
      description = "Preset or config file (default: ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--set", description = "Override one config key, e.g. loss.useLocal=false (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--batch", defaultValue = "0", description = "Samples per step (default: the preset's).")
  int batch;

  @Option(names = "--steps", defaultValue = "5", description = "Timed steps; the median is reported "
      + "(default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--warmup", defaultValue = "2", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Mixin EngineBenchOptions engine;

  @Option(names = "--profile", description = "Also run one step under PyTorch's profiler and write its "
      + "chrome trace here (summarise with tools/profile_summary.py).")
  Path profile;

  @Option(names = "--json", description = "Print one JSON object on the last line.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    BenchCommand.threads(engine.threads);
    Console console = new Console(System.err);
    Map<String, Object> r = TrainBench.run(new TrainBench.Options(preset, overrides, batch, steps, warmup,
        engine.gemmSizes, profile), console::log);
    System.out.println(String.format(Locale.ROOT,
        "%s batch %s: %s ms/step, %s samples/s, %s GFLOP/s of %s GFLOP/sample; GEMM peak %s; MFU %s; "
            + "peak RSS %s MB", preset, r.get("batch"), r.get("msPerStep"), r.get("samplesPerSecond"),
        r.get("achievedGflops"), ((Map<?, ?>) r.get("gflopPerSample")).get("train"),
        ((Map<?, ?>) r.get("gemmPeakGflops")).get("used"), r.get("mfu"), r.get("peakRssMb")));
    if (json) {
      System.out.println(Json.COMPACT.writeValueAsString(r));
    }
    return 0;
  }
}
