package regionvlp.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.data.FeatureStore;
import regionvlp.features.ClipDataset;
import regionvlp.features.ClipSource;
import regionvlp.features.RegionSelector;
import regionvlp.eval.Scores;
import regionvlp.run.Checkpoints;
import regionvlp.run.Evaluation;
import regionvlp.run.Json;

/** {@code regionvlp eval}: retrieval metrics of a checkpoint on a split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Text-to-video and video-to-text retrieval: R@1/5/10/50, MedR, MeanR (METHOD.md 5.3).",
    footer = {"", "Example:",
        "  regionvlp eval --checkpoint runs/r1 --dataset synthvid --features DATA/features --meta DATA --json",
        "  regionvlp eval --checkpoint runs/r1 --dataset synthvid --store DATA/store --meta DATA --json"})
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "Checkpoint folder or run directory.")
  Path checkpoint;

  @Option(names = "--dataset", required = true,
      description = "Layout: synthvid or tsv (caption<TAB>video_id + FEATURES/<video_id>/<k>.npz).")
  String dataset;

  @Option(names = "--features", description = "FEATURES folder (the npz tree); or give --store.")
  Path features;

  @Option(names = "--store", description = "Feature store folder (regionvlp features convert) instead of --features.")
  Path store;

  @Option(names = "--meta", required = true,
      description = "The split's caption TSV, or a folder holding test.tsv.")
  Path meta;

  @Option(names = "--frames", description = "Frames per clip (default: the checkpoint's data.numFrames).")
  Integer frames;

  @Option(names = "--faithful-header-skip", description = "Drop the first TSV row, as the original does (G12).")
  boolean headerSkip;

  @Option(names = "--json", description = "Print one JSON object on the last line.")
  boolean json;

  @Option(names = "--score", description = "global or global+local (default: global+local when the checkpoint "
      + "was trained with loss.useLocal, else global).")
  String score;

  @Option(names = "--faithful-orientation",
      description = "Add the RWA matrix without transposing it, as the original code does (square only).")
  boolean faithfulOrientation;

  @Option(names = "--dump-scores", description = "Write the final float32 [n_text, n_video] score matrix (.npy).")
  Path dumpScores;

  @Option(names = "--rerank-top", description = "Rank by the global score, then re-score each query's top K "
      + "videos with the RWA term (needs --score global+local; 0 = full matrix).")
  int rerankTop;

  @Override
  public Integer call() throws Exception {
    if (!dataset.equals("synthvid") && !dataset.equals("tsv")) {
      throw new IllegalArgumentException("--dataset must be synthvid or tsv, found '" + dataset + "'");
    }
    if ((features == null) == (store == null)) {
      throw new IllegalArgumentException("give exactly one of --features (the npz tree) and --store (a feature store)");
    }
    Path table = Files.isDirectory(meta) ? meta.resolve("test.tsv") : meta;
    Console console = new Console(System.err);
    try (NDManager root = NDManager.newBaseManager();
        FeatureStore fs = store == null ? null : FeatureStore.open(store, FeatureStore.Verify.ONCE, console::log)) {
      Checkpoints.Loaded loaded = Checkpoints.load(checkpoint, root);
      try (var model = loaded.model()) {
        int f = frames != null ? frames : loaded.config().data().numFrames();
        RegionSelector selector = new RegionSelector(loaded.config().data().numRegions(),
            loaded.config().model().video().featureDim());
        ClipDataset ds = ClipDataset.open(fs != null ? ClipSource.store(fs, selector)
            : ClipSource.npzTree(features, selector), table, headerSkip, f, false);
        var loss = loaded.config().loss();
        Scores.Mode mode = score == null ? (loss.useLocal() ? Scores.Mode.GLOBAL_LOCAL : Scores.Mode.GLOBAL)
            : switch (score) {
              case "global" -> Scores.Mode.GLOBAL;
              case "global+local" -> Scores.Mode.GLOBAL_LOCAL;
              default -> throw new IllegalArgumentException("--score must be global or global+local, found '"
                  + score + "'");
            };
        if (faithfulOrientation && mode == Scores.Mode.GLOBAL) {
          throw new IllegalArgumentException("--faithful-orientation needs --score global+local");
        }
        Evaluation.Report rep = Evaluation.run(model, root, ds, dataset, table, headerSkip,
            done -> console.progress("encode", done, ds.numVideos()),
            new Evaluation.Scoring(mode, faithfulOrientation, loss.focal(), loss.rwaValidOnly(), dumpScores,
                rerankTop));
        rep.protocol().put("checkpoint", loaded.dir().toString());
        rep.protocol().put("features", ds.source().toString());
        System.out.print(rep.table("checkpoint " + loaded.dir().getFileName()));
        if (json) {
          System.out.println(Json.COMPACT.writeValueAsString(rep.toJson()));
        }
      }
    }
    return 0;
  }
}
