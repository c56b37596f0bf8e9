package regionvlp.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.data.DataConfig;
import regionvlp.data.FeatureStore;
import regionvlp.data.datasets.DatasetReader;
import regionvlp.data.datasets.Datasets;
import regionvlp.data.datasets.ReadOptions;
import regionvlp.data.datasets.SplitIndex;
import regionvlp.features.ClipDataset;
import regionvlp.eval.Scores;
import regionvlp.run.CheckpointInit;
import regionvlp.run.Checkpoints;
import regionvlp.run.ConfigLoader;
import regionvlp.run.ExperimentConfig;
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
        "  regionvlp eval --checkpoint runs/r1 --dataset synthvid --store DATA/store --meta DATA --json",
        "  regionvlp eval --checkpoint runs/pt --preset finetune-msrvtt --features MSRVTT_FEATURES --meta MSRVTT \\",
        "      --json                         # zero-shot: 8 frames, temporal embedding zero-inflated"})
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--checkpoint", required = true, description = "Checkpoint folder or run directory.")
  Path checkpoint;

  @Option(names = "--dataset", description = "Layout: msrvtt, didemo, msvd, lsmdc, webvid, cc3m,"
      + " or folder (caption<TAB>clip + FEATURES/<clip>/<k>.npz; synthvid and tsv are older names of it)."
      + " Required unless --preset gives it.")
  String dataset;

  @Option(names = "--preset", paramLabel = "PRESET|FILE", description = "Evaluate with this config's test"
      + " protocol, e.g. finetune-msrvtt for the zero-shot evaluation of a pre-trained checkpoint (METHOD.md 5.4):"
      + " its data.dataset, data.numFrames and data.numRegions, header and caption policy (each unless given"
      + " here). A temporal embedding shorter than the frame count is inflated with zeros in memory, as"
      + " fine-tuning initialises it. The model itself is the checkpoint's.")
  String preset;

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

  @Option(names = "--frames", description = "Frames per clip (default: the preset's or the checkpoint's"
      + " data.numFrames). More than the checkpoint's model.video.maxFrames inflates its temporal embedding with"
      + " zeros in memory.")
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
    DataConfig protocolCfg = preset == null ? null : ConfigLoader.load(preset, List.of()).data();
    String ds = dataset != null ? dataset : protocolCfg != null ? protocolCfg.dataset() : null;
    if (ds == null) {
      throw new IllegalArgumentException("give --dataset (or --preset, whose data.dataset is used)");
    }
    boolean skipHeader = headerSkip || (protocolCfg != null && protocolCfg.faithfulHeaderSkip());
    boolean everyCaption = allCaptions || (protocolCfg != null && protocolCfg.allCaptions());
    DatasetReader reader = Datasets.reader(ds);
    Console console = new Console(System.err);
    try (NDManager root = NDManager.newBaseManager();
        FeatureStore fs = store == null ? null : FeatureStore.open(store, FeatureStore.Verify.ONCE, console::log)) {
      // With --store the reader's paths only become store keys, relative to the store's folder.
      SplitIndex listed = reader.read(fs != null ? fs.root() : features, meta,
          new ReadOptions(split, skipHeader, everyCaption));
      SplitIndex index = fs != null ? listed.withStore(fs) : listed;
      ExperimentConfig saved = Checkpoints.readConfig(checkpoint);
      int f = frames != null ? frames : protocolCfg != null ? protocolCfg.numFrames() : saved.data().numFrames();
      int regions = protocolCfg != null ? protocolCfg.numRegions() : saved.data().numRegions();
      CheckpointInit.Report inflation = null;
      Checkpoints.Loaded loaded;
      if (f > saved.model().video().maxFrames()) {
        CheckpointInit.Loaded l = CheckpointInit.load(checkpoint, root, f);
        inflation = l.report();
        console.log("checkpoint " + l.report().checkpoint() + ": " + inflation.temporalEmbed() + " (in memory)");
        loaded = new Checkpoints.Loaded(l.model(), l.config(), l.report().checkpoint());
      } else {
        loaded = Checkpoints.load(checkpoint, root);
      }
      try (var model = loaded.model()) {
        ClipDataset clips = ClipDataset.open(index, f, loaded.config().model().video().featureDim(), regions, false,
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
        Evaluation.Report rep = Evaluation.run(model, root, clips, ds, meta, skipHeader,
            done -> console.progress("encode", done, clips.numVideos()),
            new Evaluation.Scoring(mode, faithfulOrientation, loss.focal(), loss.rwaValidOnly(), dumpScores,
                rerankTop));
        rep.protocol().put("checkpoint", loaded.dir().toString());
        rep.protocol().put("features", clips.sourceDescription());
        List<String> trainedOn = new ArrayList<>();
        trainedOn.add(saved.data().dataset());
        if (saved.data().alternates()) {
          trainedOn.add(saved.data().secondary().dataset());
        }
        rep.protocol().put("checkpointTrainedOn", trainedOn);
        if (preset != null) {
          rep.protocol().put("preset", preset);
          // Zero-shot: the checkpoint never trained on the evaluated dataset (METHOD.md 5.4).
          rep.protocol().put("zeroShot", !trainedOn.contains(ds));
        }
        rep.protocol().put("temporalEmbed", inflation != null ? inflation.temporalEmbed() + ", in memory"
            : "as saved (" + saved.model().video().maxFrames() + " frame(s))");
        System.out.print(rep.table("checkpoint " + loaded.dir().getFileName()
            + (Boolean.TRUE.equals(rep.protocol().get("zeroShot")) ? " (zero-shot)" : "")));
        if (json) {
          System.out.println(Json.COMPACT.writeValueAsString(rep.toJson()));
        }
      }
    }
    return 0;
  }
}
