package regionvlp.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import regionvlp.data.synth.SynthConfig;
import regionvlp.data.synth.SynthVid;
import regionvlp.features.ClipDataset;
import regionvlp.model.DualEncoder;
import regionvlp.run.Checkpoints;
import regionvlp.run.ConfigLoader;
import regionvlp.run.Evaluation;
import regionvlp.run.ExperimentConfig;
import regionvlp.run.Json;
import regionvlp.run.Training;

/**
 * {@code regionvlp quickstart}: SynthVid -> training -> test-split retrieval, with an untrained model and
 * chance beside the trained model. Layout: {@code OUT/data/} (the corpus, reused when its synth.json
 * matches the request) and {@code OUT/run/} (or {@code run-2}, ... when earlier runs exist).
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
    description = "Generate SynthVid, train the dual encoder on CPU and report test retrieval.",
    footer = {"", "Examples:",
        "  regionvlp quickstart",
        "  regionvlp quickstart --seed 7 --json",
        "  regionvlp quickstart --captions my_captions.tsv --vocab objects_vocab.txt --set train.epochs=3"})
final class QuickstartCommand implements Callable<Integer> {
  @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("quickstart-out");

  @Option(names = "--set", description = "Override a key of the quickstart training config, e.g. train.epochs=3.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--json", description = "Print the trained model's eval JSON on the last line.")
  boolean json;

  @Mixin SynthOptions synth;

  @Override
  public Integer call() throws IOException {
    long t0 = System.nanoTime();
    Console console = new Console(System.err);
    ObjectNode preset = ConfigLoader.preset("quickstart");
    int presetDim = preset.path("model").path("video").path("featureDim").asInt();
    SynthConfig synthCfg = synth.toConfig(presetDim);

    // 1. Data: reuse a matching corpus, otherwise generate it.
    Path data = out.resolve("data");
    String oracle = reuse(data, synthCfg);
    if (oracle == null) {
      oracle = SynthCommand.summary(SynthCommand.generate(synthCfg, data, console));
    } else {
      console.log("synth: reusing the matching corpus in " + data);
    }
    System.out.print(oracle);

    // 2. Config: the quickstart preset pointed at the corpus, sized to its features, then user overrides.
    List<String> sets = new ArrayList<>();
    sets.add("data.features=" + data.resolve("features"));
    sets.add("data.trainMeta=" + data.resolve("train.tsv"));
    sets.add("data.valMeta=" + (synthCfg.valVideos() > 0 ? data.resolve("val.tsv").toString() : ""));
    sets.add("model.video.featureDim=" + synthCfg.featureDim());
    sets.addAll(overrides);
    ExperimentConfig cfg = ConfigLoader.load("quickstart", sets);

    // 3. Train.
    Path runDir = freshRunDir(out);
    Training.Result trained = Training.run(cfg, runDir, console::log,
        (step, total) -> console.ttyProgress("train", step, total));

    // 4. Evaluate on the test split: trained, untrained (same init seed), chance.
    Path testMeta = data.resolve("test.tsv");
    Evaluation.Report trainedRep;
    Evaluation.Report untrainedRep;
    ClipDataset test = ClipDataset.open(data.resolve("features"), testMeta, false, cfg.data().numFrames(),
        cfg.model().video().featureDim(), cfg.data().numRegions(), false);
    try (NDManager root = NDManager.newBaseManager()) {
      Checkpoints.Loaded loaded = Checkpoints.load(trained.checkpoint(), root);
      try (DualEncoder model = loaded.model()) {
        trainedRep = Evaluation.run(model, root, test, "synthvid", testMeta, false,
            done -> console.progress("eval", done, test.numVideos()));
      }
      try (DualEncoder fresh = Training.initialModel(cfg, root)) {
        untrainedRep = Evaluation.run(fresh, root, test, "synthvid", testMeta, false, null);
      }
    }
    trainedRep.protocol().put("checkpoint", trained.checkpoint().toString());
    trainedRep.protocol().put("seed", cfg.train().seed());
    trainedRep.protocol().put("synthSeed", synthCfg.seed());

    int n = test.numVideos();
    System.out.println();
    System.out.printf(Locale.ROOT, "SynthVid test split: %d captions -> %d videos, %d frames x %d regions%n",
        test.numCaptions(), n, cfg.data().numFrames(), cfg.data().numRegions());
    System.out.print(trainedRep.table("trained (" + trained.steps() + " steps)"));
    System.out.print(untrainedRep.table("untrained (same init)"));
    System.out.printf(Locale.ROOT, "%-28s %7.2f %7.2f %7.2f %7.2f %7.1f %8.1f%n", "chance", 100.0 / n,
        Math.min(100, 500.0 / n), Math.min(100, 1000.0 / n), Math.min(100, 5000.0 / n), (n + 1) / 2.0,
        (n + 1) / 2.0);
    System.out.printf(Locale.ROOT, "%nrun directory: %s%ntotal time: %.1f s%n", runDir,
        (System.nanoTime() - t0) / 1e9);
    if (json) {
      System.out.println(Json.COMPACT.writeValueAsString(trainedRep.toJson()));
    }
    return 0;
  }

  /** The oracle summary of an existing corpus that matches {@code cfg}, or null to generate anew. */
  private static String reuse(Path data, SynthConfig cfg) throws IOException {
    Path meta = data.resolve("synth.json");
    if (!Files.isRegularFile(meta)) {
      return null;
    }
    JsonNode stored = Json.MAPPER.readTree(meta.toFile());
    JsonNode wanted = Json.MAPPER.valueToTree(SynthVid.configMap(cfg));
    if (!wanted.equals(stored.path("config"))) {
      throw new IllegalArgumentException(data + " holds a SynthVid corpus made with other settings ("
          + stored.path("config") + "); choose another --out or delete it");
    }
    JsonNode o = stored.path("bagOfObjectsOracle");
    return String.format(Locale.ROOT, "SynthVid in %s (reused)%n  bag-of-objects oracle on the test split: "
        + "t2v R@1 %.1f%%  R@5 %.1f%%  R@10 %.1f%%%n", data, 100 * o.path("t2vR1").asDouble(),
        100 * o.path("t2vR5").asDouble(), 100 * o.path("t2vR10").asDouble());
  }

  private static Path freshRunDir(Path out) {
    Path run = out.resolve("run");
    for (int i = 2; Files.exists(run); i++) {
      run = out.resolve("run-" + i);
    }
    return run;
  }
}
