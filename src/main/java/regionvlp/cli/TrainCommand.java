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
        "  regionvlp train --config demovlp-pretrain --init-video-from jx_vit_base_p16_224-80ecf9dd.pth \\",
        "      --set data.features=DATA/features --set data.trainMeta=DATA/train.tsv --out runs/pt"})
final class TrainCommand implements Callable<Integer> {
  @Option(names = "--config", required = true,
      description = "Preset (quickstart, demovlp-pretrain, demovlp-finetune) or JSON file; "
          + "a file may name its base preset under \"preset\".")
  String config;

  @Option(names = "--set", description = "Override one config key, e.g. train.lr=1e-4 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--out", required = true, description = "Run directory to create.")
  Path out;

  @Option(names = "--init-video-from", paramLabel = "FILE",
      description = "Initialise the region transformer's cls_token and blocks from a timm ViT state dict "
          + "(.pth, .npz or .safetensors; e.g. jx_vit_base_p16_224-80ecf9dd.pth, as the paper does). "
          + "Needs model.video.width and mlpDim to match the ViT (768 and 3072 for ViT-B/16).")
  Path initVideoFrom;

  @Override
  public Integer call() {
    ExperimentConfig cfg = ConfigLoader.load(config, overrides);
    Console console = new Console(System.err);
    Training.Result r = Training.run(cfg, out, console::log,
        (step, total) -> console.ttyProgress("train", step, total), initVideoFrom);
    System.out.println("run directory: " + r.runDir());
    System.out.println("checkpoint:    " + r.checkpoint());
    return 0;
  }
}
