package regionvlp.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.run.ConfigLoader;
import regionvlp.run.Training;

/** {@code regionvlp train}: one training run from a config, or the continuation of an interrupted one. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train the dual encoder from a config (a preset name or a JSON file), or continue an"
        + " interrupted run with --resume.",
    footer = {"", "Examples:",
        "  regionvlp train --config quickstart --set data.features=DATA/features \\",
        "      --set data.trainMeta=DATA/train.tsv --set train.checkpointEvery=100 --out runs/r1",
        "  regionvlp train --resume runs/r1      # after a crash or kill: continues from checkpoints/last",
        "  regionvlp train --config demovlp-pretrain --init-video-from jx_vit_base_p16_224-80ecf9dd.pth \\",
        "      --set data.features=DATA/features --set data.trainMeta=DATA/train.tsv --out runs/pt",
        "  regionvlp train --config pretrain-webvid-cc3m --set data.features=WEBVID --set data.trainMeta=META \\",
        "      --set data.secondary.features=CC3M --set data.secondary.trainMeta=META --out runs/pt",
        "  regionvlp train --config finetune-msrvtt --init-from runs/pt --set data.features=FEATURES \\",
        "      --set data.trainMeta=MSRVTT --set data.valMeta=MSRVTT --out runs/ft"})
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--config",
      description = "Preset (quickstart, demovlp-pretrain, demovlp-finetune, pretrain-webvid-cc3m,"
          + " finetune-{msrvtt,didemo,msvd,lsmdc}, synthvid-pretrain, synthvid-finetune-msrvtt) or JSON file; "
          + "a file may name its base preset under \"preset\". Required unless --resume.")
  String config;

  @Option(names = "--set", description = "Override one config key, e.g. train.lr=1e-4 (repeatable). With"
      + " --resume only data.features, data.trainMeta, data.valMeta, data.loaderThreads, train.logEvery and"
      + " train.checkpointEvery.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--out", description = "Run directory to create. Required unless --resume.")
  Path out;

  @Option(names = "--init-video-from", paramLabel = "FILE",
      description = "Initialise the region transformer's cls_token and blocks from a timm ViT state dict "
          + "(.pth, .npz or .safetensors; e.g. jx_vit_base_p16_224-80ecf9dd.pth, as the paper does). "
          + "Needs model.video.width and mlpDim to match the ViT (768 and 3072 for ViT-B/16).")
  Path initVideoFrom;

  @Option(names = "--init-from", paramLabel = "CHECKPOINT",
      description = "Fine-tune: initialise both towers from a regionvlp checkpoint folder or run directory"
          + " (e.g. a pre-training run). Its temporal embedding is inflated with zeros to model.video.maxFrames"
          + " (frame 0 keeps its vector); every other tensor must have the config's shape, and the text tower"
          + " and tokenizer must match.")
  Path initFrom;

  @Option(names = "--resume", paramLabel = "RUNDIR", description = "Continue the run in RUNDIR from the"
      + " checkpoint checkpoints/last names, with the run's own config.json, to its configured end. The"
      + " final weights equal those of an uninterrupted run.")
  Path resume;

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
    Console console = new Console(System.err);
    Training.Progress progress = (step, total) -> console.ttyProgress("train", step, total);
    Training.Result r;
    if (resume != null) {
      if (config != null) {
        throw new IllegalArgumentException("--resume continues " + resume + " with its own config.json;"
            + " drop --config (--set may still move the data or change logging: see --help)");
      }
      if (out != null) {
        throw new IllegalArgumentException("--resume continues in " + resume + " itself; drop --out");
      }
      if (initVideoFrom != null) {
        throw new IllegalArgumentException("--init-video-from initialises a new run; --resume continues from its"
            + " checkpoint, so drop --init-video-from");
      }
      if (initFrom != null) {
        throw new IllegalArgumentException("--init-from initialises a new run; --resume continues from its"
            + " checkpoint, so drop --init-from");
      }
      if (faithfulSampling || faithfulHeaderSkip) {
        throw new IllegalArgumentException("--resume continues with the run's own data settings; drop"
            + " --faithful-sampling / --faithful-header-skip");
      }
      r = Training.resume(resume, overrides, console::log, progress);
    } else {
      if (config == null || out == null) {
        throw new IllegalArgumentException("train needs --config and --out (or --resume RUNDIR)");
      }
      r = Training.run(ConfigLoader.load(config, all), out, console::log, progress, initVideoFrom, initFrom);
    }
    System.out.println("run directory: " + r.runDir());
    System.out.println("checkpoint:    " + r.checkpoint());
    if (!r.skipped().isEmpty()) {
      System.out.println("skipped:       " + r.skipped().size() + " bad training items (listed in the log and"
          + " metrics.jsonl)");
    }
    return 0;
  }
}
