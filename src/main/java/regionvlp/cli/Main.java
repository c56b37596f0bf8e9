package regionvlp.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import regionvlp.data.InvalidInputFileException;

/**
 * The {@code regionvlp} command line: one picocli class per verb. Results go to stdout (a table, or one
 * JSON object on the last line with {@code --json}); logs and progress go to stderr. Exit codes: 0 success,
 * 2 usage or configuration error, 1 failure (bad data, I/O).
 */
@Command(
    name = "regionvlp",
    mixinStandardHelpOptions = true,
    version = "regionvlp 0.1.0",
    description = "Region-feature video-language pre-training and text-to-video retrieval (DemoVLP).",
    subcommands = {
      QuickstartCommand.class,
      SynthCommand.class,
      TrainCommand.class,
      EvalCommand.class,
      ConvertCheckpointCommand.class,
      EmbedCommand.class,
      DataCommand.class,
      FeaturesCommand.class,
      IndexCommand.class,
      SearchCommand.class,
      ServeCommand.class,
      BenchCommand.class
    },
    footer = {
      "",
      "Examples:",
      "  regionvlp quickstart                      # synth -> train -> eval, prints the results",
      "  regionvlp synth --out data/synthvid --feature-dim 64",
      "  regionvlp train --config quickstart --set data.features=data/synthvid/features \\",
      "      --set data.trainMeta=data/synthvid/train.tsv --out runs/r1",
      "  regionvlp eval --checkpoint runs/r1 --dataset synthvid --features data/synthvid/features \\",
      "      --meta data/synthvid --frames 4 --json",
      "  regionvlp convert-checkpoint model_best.pth ckpt/demovlp   # the authors' .pth -> our checkpoint",
      "  regionvlp embed text --checkpoint runs/r1 --captions queries.txt --out queries.npy",
      "  regionvlp data check --dataset didemo --features FEATURES --meta meta_data --split test --json",
      "  regionvlp features convert --from data/synthvid/features --to data/synthvid/store",
      "  regionvlp bench io --features data/synthvid/features --store data/synthvid/store --json",
      "  regionvlp index build --checkpoint runs/r1 --features data/synthvid/features \\",
      "      --meta data/synthvid/test.tsv --out my-index --regions --hnsw",
      "  regionvlp search --index my-index \"a red ball moves left\"",
      "  regionvlp serve --index my-index                # http://127.0.0.1:8080/",
      "  regionvlp bench train --preset demovlp-pretrain --batch 32 --json"
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  /** Builds the configured command line (also used by tests). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      int code;
      if (ex instanceof InvalidInputFileException) {
        err.println("error: " + ex.getMessage());
        code = 1;
      } else if (ex instanceof IllegalArgumentException) {
        err.println("error: " + ex.getMessage());
        code = 2;
      } else {
        err.println("error: " + ex);
        ex.printStackTrace(err);
        code = 1;
      }
      err.flush(); // picocli's default writer does not flush by itself, and Main exits right after
      return code;
    });
    return cl;
  }

  /** Entry point. */
  public static void main(String[] args) {
    // Before any DJL class loads: never try the network (telemetry, native or model downloads).
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
        System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
    System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
    regionvlp.run.NativeMemory.configure(); // before the engine allocates anything (docs/PERFORMANCE.md)
    System.exit(commandLine().execute(args));
  }
}
