package regionvlp.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.run.ConfigLoader;
import regionvlp.run.ExperimentConfig;
import regionvlp.run.Training;

/** {@code regionvlp train}: one training run from a config. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train the dual encoder from a config (a preset name or a JSON file).",
    footer = {"", "Example:",
        "  regionvlp train --config quickstart --set data.features=DATA/features \\",
        "      --set data.trainMeta=DATA/train.tsv --set train.epochs=3 --out runs/r1",
        "  regionvlp train --config demovlp-finetune --set data.dataset=msrvtt --set data.features=FEATURES \\",
        "      --set data.trainMeta=MSRVTT --set data.valMeta=MSRVTT --out runs/ft"})
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--config", required = true,
      description = "Preset (quickstart, demovlp-pretrain, demovlp-finetune) or JSON file; "
          + "a file may name its base preset under \"preset\".")
  String config;

  @Option(names = "--set", description = "Override one config key, e.g. train.lr=1e-4 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--out", required = true, description = "Run directory to create.")
  Path out;

  @Option(names = "--faithful-sampling", description = "Keep the original's off-by-one in random frame sampling "
      + "(same as --set data.faithfulSampling=true; needs K >= 2F frames per clip).")
  boolean faithfulSampling;

  @Option(names = "--faithful-header-skip", description = "Drop the first metadata row, as the original's pandas "
      + "call does (same as --set data.faithfulHeaderSkip=true, G12).")
  boolean faithfulHeaderSkip;

  @Override
  public Integer call() {
    List<String> all = new ArrayList<>(overrides);
    if (faithfulSampling) {
      all.add("data.faithfulSampling=true");
    }
    if (faithfulHeaderSkip) {
      all.add("data.faithfulHeaderSkip=true");
    }
    ExperimentConfig cfg = ConfigLoader.load(config, all);
    Console console = new Console(System.err);
    Training.Result r = Training.run(cfg, out, console::log,
        (step, total) -> console.ttyProgress("train", step, total));
    System.out.println("run directory: " + r.runDir());
    System.out.println("checkpoint:    " + r.checkpoint());
    if (!r.skipped().isEmpty()) {
      System.out.println("skipped:       " + r.skipped().size() + " bad training items (listed in the log and"
          + " metrics.jsonl)");
    }
    return 0;
  }
}
