package regionvlp.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.data.FeatureStore;
import regionvlp.data.datasets.DatasetReader;
import regionvlp.data.datasets.Datasets;
import regionvlp.data.datasets.ReadOptions;
import regionvlp.data.datasets.SplitIndex;
import regionvlp.features.ClipDataset;
import regionvlp.eval.Scores;
import regionvlp.run.Checkpoints;
import regionvlp.run.Evaluation;
import regionvlp.run.Json;

/** {@code regionvlp eval}: retrieval metrics of a checkpoint on a split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Text-to-video and video-to-text retrieval: R@1/5/10/50, MedR, MeanR (METHOD.md 5.3).",
    footer = {"", "Example:",
        "  regionvlp eval --checkpoint runs/r1 --dataset synthvid --features DATA/features --meta DATA --json",
        "  regionvlp eval --checkpoint runs/ft --dataset msrvtt --features MSRVTT_FEATURES --meta MSRVTT --json",
        "  regionvlp eval --checkpoint runs/ft --dataset didemo --features DIDEMO_FEATURES --meta meta_data \\",
        "      --faithful-header-skip --allow-missing --json",
        "  regionvlp eval --checkpoint runs/r1 --dataset synthvid --store DATA/store --meta DATA --json"})
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "Checkpoint folder or run directory.")
  Path checkpoint;

  @Option(names = "--dataset", required = true, description = "Layout: msrvtt, didemo, msvd, lsmdc, webvid, cc3m,"
      + " or folder (caption<TAB>clip + FEATURES/<clip>/<k>.npz; synthvid and tsv are older names of it).")
  String dataset;

  @Option(names = "--features", description = "The features root (the npz tree); or give --store.")
  Path features;

  @Option(names = "--store", description = "Feature store folder (regionvlp features convert) instead of --features.")
  Path store;

  @Option(names = "--meta", required = true,
      description = "The split's metadata file, or the folder holding the dataset's released files.")
  Path meta;

  @Option(names = "--split", description = "train, val or test (default: ${DEFAULT-VALUE}).")
  String split = "test";

  @Option(names = "--allow-missing", description = "Exclude bad test items (missing, corrupt, too few frames, "
      + "wrong dim, NaN/Inf, unreadable captions) and list them in the protocol block, instead of refusing.")
  boolean allowMissing;

  @Option(names = "--all-captions", description = "Every caption of a clip is a query (MSVD's usual protocol, "
      + "MSR-VTT's 20 captions) instead of the original's choice.")
  boolean allCaptions;

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
    if ((features == null) == (store == null)) {
      throw new IllegalArgumentException("give exactly one of --features (the npz tree) and --store (a feature store)");
    }
    DatasetReader reader = Datasets.reader(dataset);
    Console console = new Console(System.err);
    try (NDManager root = NDManager.newBaseManager();
        FeatureStore fs = store == null ? null : FeatureStore.open(store, FeatureStore.Verify.ONCE, console::log)) {
      // With --store the reader's paths only become store keys, relative to the store's folder.
      SplitIndex listed = reader.read(fs != null ? fs.root() : features, meta,
          new ReadOptions(split, headerSkip, allCaptions));
      SplitIndex index = fs != null ? listed.withStore(fs) : listed;
      Checkpoints.Loaded loaded = Checkpoints.load(checkpoint, root);
      try (var model = loaded.model()) {
        int f = frames != null ? frames : loaded.config().data().numFrames();
        ClipDataset ds = ClipDataset.open(index, f, loaded.config().model().video().featureDim(),
            loaded.config().data().numRegions(), false,
            allowMissing ? ClipDataset.BadItems.exclude(console::log) : ClipDataset.BadItems.refuse());
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
        Evaluation.Report rep = Evaluation.run(model, root, ds, dataset, meta, headerSkip,
            done -> console.progress("encode", done, ds.numVideos()),
            new Evaluation.Scoring(mode, faithfulOrientation, loss.focal(), loss.rwaValidOnly(), dumpScores,
                rerankTop));
        rep.protocol().put("checkpoint", loaded.dir().toString());
        rep.protocol().put("features", ds.sourceDescription());
        System.out.print(rep.table("checkpoint " + loaded.dir().getFileName()));
        if (json) {
          System.out.println(Json.COMPACT.writeValueAsString(rep.toJson()));
        }
      }
    }
    return 0;
  }
}
