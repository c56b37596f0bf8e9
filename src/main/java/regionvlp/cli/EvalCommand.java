package regionvlp.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.features.ClipDataset;
import regionvlp.eval.Scores;
import regionvlp.run.Checkpoints;
import regionvlp.run.Evaluation;
import regionvlp.run.Json;

/** {@code regionvlp eval}: retrieval metrics of a checkpoint on a split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Text-to-video and video-to-text retrieval: R@1/5/10/50, MedR, MeanR (METHOD.md 5.3).",
    footer = {"", "Example:",
        "  regionvlp eval --checkpoint runs/r1 --dataset synthvid --features DATA/features --meta DATA --json"})
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "Checkpoint folder or run directory.")
  Path checkpoint;

  @Option(names = "--dataset", required = true,
      description = "Layout: synthvid or tsv (caption<TAB>video_id + FEATURES/<video_id>/<k>.npz).")
  String dataset;

  @Option(names = "--features", required = true, description = "FEATURES folder.")
  Path features;

  @Option(names = "--meta", required = true,
      description = "The split's caption TSV, or a folder holding test.tsv.")
  Path meta;

  @Option(names = "--frames", description = "Frames per clip (default: the checkpoint's data.numFrames).")
  Integer frames;

  @Option(names = "--faithful-header-skip", description = "Drop the first TSV row, as the original does (G12).")
  boolean headerSkip;

  @Option(names = "--json", description = "Print one JSON object on the last line.")
  boolean json;

  @Option(names = "--score", description = "global, global+local or local (default: what the checkpoint was "
      + "trained with: local for loss.useLocal without loss.useGlobal, global+local for both, else global).")
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
    Path table = Files.isDirectory(meta) ? meta.resolve("test.tsv") : meta;
    Console console = new Console(System.err);
    try (NDManager root = NDManager.newBaseManager()) {
      Checkpoints.Loaded loaded = Checkpoints.load(checkpoint, root);
      try (var model = loaded.model()) {
        int f = frames != null ? frames : loaded.config().data().numFrames();
        ClipDataset ds = ClipDataset.open(features, table, headerSkip, f,
            loaded.config().model().video().featureDim(), loaded.config().data().numRegions(), false);
        var loss = loaded.config().loss();
        Scores.Mode mode = score == null
            ? (!loss.useLocal() ? Scores.Mode.GLOBAL : loss.useGlobal() ? Scores.Mode.GLOBAL_LOCAL : Scores.Mode.LOCAL)
            : switch (score) {
              case "global" -> Scores.Mode.GLOBAL;
              case "global+local" -> Scores.Mode.GLOBAL_LOCAL;
              case "local" -> Scores.Mode.LOCAL;
              default -> throw new IllegalArgumentException("--score must be global, global+local or local, found '"
                  + score + "'");
            };
        Evaluation.Report rep = Evaluation.run(model, root, ds, dataset, table, headerSkip,
            done -> console.progress("encode", done, ds.numVideos()),
            new Evaluation.Scoring(mode, faithfulOrientation, loss.focal(), loss.rwaValidOnly(), dumpScores,
                rerankTop));
        rep.protocol().put("checkpoint", loaded.dir().toString());
        System.out.print(rep.table("checkpoint " + loaded.dir().getFileName()));
        if (json) {
          System.out.println(Json.COMPACT.writeValueAsString(rep.toJson()));
        }
      }
    }
    return 0;
  }
}
