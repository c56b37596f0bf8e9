package regionvlp.cli;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import regionvlp.run.EvalBench;
import regionvlp.run.Json;

/** {@code regionvlp bench eval}: the cost of the RWA score matrix, full and re-ranked. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Time the full videos x captions RWA score matrix on synthetic local embeddings against its "
        + "GEMM-bound time, and the two-stage --rerank-top K scoring.",
    footer = {"", "Example:", "  regionvlp bench eval --videos 1000 --texts 1000 --rerank-top 50 --json"})
final class BenchEvalCommand implements Callable<Integer> {
  @Option(names = "--videos", defaultValue = "1000", description = "Gallery videos (default: ${DEFAULT-VALUE}).")
  int videos;

  @Option(names = "--texts", defaultValue = "1000", description = "Query captions (default: ${DEFAULT-VALUE}).")
  int texts;

  @Option(names = "--frames", defaultValue = "8", description = "Frames per video (default: ${DEFAULT-VALUE}).")
  int frames;

  @Option(names = "--regions", defaultValue = "30", description = "Regions per frame (default: ${DEFAULT-VALUE}).")
  int regions;

  @Option(names = "--words", defaultValue = "99", description = "Word slots per caption, L - 1 "
      + "(default: ${DEFAULT-VALUE}).")
  int words;

  @Option(names = "--dim", defaultValue = "256", description = "Embedding width (default: ${DEFAULT-VALUE}).")
  int dim;

  @Option(names = "--rerank-top", defaultValue = "50", description = "K of the re-ranked run, 0 to skip it "
      + "(default: ${DEFAULT-VALUE}).")
  int rerankTop;

  @Option(names = "--skip-full", description = "Only the re-ranked run.")
  boolean skipFull;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the synthetic embeddings.")
  long seed;

  @Mixin EngineBenchOptions engine;

  @Option(names = "--profile", description = "Trace the full matrix with PyTorch's profiler into this chrome "
      + "trace file (summarise with tools/profile_summary.py); use a small --videos/--texts.")
  java.nio.file.Path profile;

  @Option(names = "--json", description = "Print one JSON object on the last line.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    BenchCommand.threads(engine.threads);
    Console console = new Console(System.err);
    Map<String, Object> r = EvalBench.run(new EvalBench.Options(videos, texts, frames, regions, words, dim,
        rerankTop, skipFull, seed, engine.gemmSizes, profile), console::log);
    System.out.println(String.format(Locale.ROOT,
        "RWA %d x %d: full %s s (GEMM-bound %s s, x%s); re-rank top %s: %s s", videos, texts,
        r.getOrDefault("fullSeconds", "-"), r.get("gemmBoundSeconds"), r.getOrDefault("fullOverGemmBound", "-"),
        r.getOrDefault("rerankTop", "-"), r.getOrDefault("rerankSeconds", "-")));
    if (json) {
      System.out.println(Json.COMPACT.writeValueAsString(r));
    }
    return 0;
  }
}
