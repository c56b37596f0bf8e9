package regionvlp.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code regionvlp bench}: the benchmark suite (docs/PERFORMANCE.md). Each verb prints a human-readable
 * summary on stderr and, with {@code --json}, one JSON object as the last stdout line.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmarks: training-step throughput and MFU (train), RWA scoring cost (eval), clip reading "
        + "from the npz tree and the feature store (io), search latency and load (search).",
    subcommands = {
      BenchTrainCommand.class,
      BenchEvalCommand.class,
      BenchIoCommand.class,
      BenchSearchCommand.class
    },
    footer = {"", "Examples:",
        "  regionvlp bench train --preset demovlp-pretrain --batch 32 --json",
        "  regionvlp bench eval --json",
        "  regionvlp bench io --features data/synthvid/features --store data/synthvid/store --json",
        "  regionvlp bench search --index my-index --clients 32 --queries 1000 --json"})
final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a bench verb is required (train, eval, io, search)");
  }

  /**
   * Sets the engine's thread counts. Must run before the first engine use: PyTorch reads them once, when
   * DJL loads it.
   */
  static void threads(Integer threads) {
    if (threads != null) {
      if (threads < 1) {
        throw new IllegalArgumentException("--threads must be >= 1, found " + threads);
      }
      System.setProperty("ai.djl.pytorch.num_threads", threads.toString());
      System.setProperty("ai.djl.pytorch.num_interop_threads", threads.toString());
    }
  }
}
