package regionvlp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static regionvlp.TestFiles.copyTree;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import regionvlp.data.synth.SynthConfig;
import regionvlp.data.synth.SynthVid;
import regionvlp.run.Json;

/**
 * The command line end to end on a tiny real SynthVid corpus (real .npz files): train, eval with
 * {@code --json}, and the bad-input paths a user hits first.
 */
class CliTest {
  @TempDir static Path dir;
  static Path data;

  @BeforeAll
  static void makeCorpus() {
    data = dir.resolve("data");
    SynthConfig cfg = SynthConfig.defaults().withSeed(3).withTrainVideos(32).withValVideos(0).withTestVideos(12)
        .withFeatureDim(16).withThreads(2);
    SynthVid.generate(cfg, data, SynthVid.Progress.none());
  }

  record Result(int exit, String out, String err) {}

  static Result run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    try {
      // Streams are swapped before the command line exists, so that every writer it makes wraps them.
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
      CommandLine cl = Main.commandLine();
      cl.setErr(new PrintWriter(err, true));
      int code = cl.execute(args);
      return new Result(code, out.toString(StandardCharsets.UTF_8), err + log.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  static String[] tinyModel() {
    return new String[] {"--set", "model.video.featureDim=16", "--set", "model.video.width=32", "--set",
        "model.video.mlpDim=64", "--set", "model.text.width=32", "--set", "model.text.ffnDim=64", "--set",
        "model.text.maxLength=24", "--set", "model.text.init=RANDOM", "--set", "model.text.maxPositions=64", "--set", "model.text.depth=2", "--set", "model.text.numHeads=4", "--set", "train.batchSize=8", "--set", "train.epochs=2", "--set",
        "train.warmupSteps=2", "--set", "train.logEvery=2"};
  }

  static String[] concat(String[] a, String... b) {
    return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
  }

  @Test
  void trainThenEvalWritesTheRunDirectoryAndOneJsonLine() throws IOException {
    Path run = dir.resolve("run");
    Result t = run(concat(new String[] {"train", "--config", "quickstart", "--out", run.toString(),
        "--set", "data.features=" + data.resolve("features"), "--set", "data.trainMeta=" + data.resolve("train.tsv")},
        tinyModel()));
    assertThat(t.exit()).as(t.err()).isZero();
    assertThat(t.err()).contains("step 8/8 epoch 2 loss");
    for (String f : new String[] {"config.json", "provenance.json", "metrics.jsonl", "checkpoints/last",
        "checkpoints/step-8/model.safetensors"}) {
      assertThat(run.resolve(f)).as(f).exists();
    }
    assertThat(Files.readAllLines(run.resolve("metrics.jsonl"))).hasSizeGreaterThanOrEqualTo(4);

    Result e = run("eval", "--checkpoint", run.toString(), "--dataset", "synthvid", "--features",
        data.resolve("features").toString(), "--meta", data.toString(), "--json");
    assertThat(e.exit()).as(e.err()).isZero();
    String[] lines = e.out().trim().split("\n");
    JsonNode j = Json.MAPPER.readTree(lines[lines.length - 1]);
    for (String dirName : new String[] {"t2v", "v2t"}) {
      for (String k : new String[] {"R@1", "R@5", "R@10", "R@50", "MedR", "MeanR"}) {
        assertThat(j.path(dirName).has(k)).as(dirName + " " + k).isTrue();
      }
    }
    assertThat(j.path("t2v").path("R@50").asDouble()).isEqualTo(100.0); // 12 videos: every rank < 50
    JsonNode p = j.path("protocol");
    assertThat(p.path("queries").asInt()).isEqualTo(12);
    assertThat(p.path("videos").asInt()).isEqualTo(12);
    assertThat(p.path("frames").asInt()).isEqualTo(4);
    assertThat(p.path("split").asText()).isEqualTo("test");
    assertThat(p.path("metaFile").asText()).isEqualTo("test.tsv");
    assertThat(p.path("itemsEvaluated").asInt()).isEqualTo(12);
    assertThat(p.path("headerSkip").asBoolean()).isFalse();
    assertThat(lines[0]).contains("R@1");
  }

  @Test
  void globalPlusLocalScoringDumpsTheScoreMatrix() throws IOException {
    Path dump = dir.resolve("scores.npy");
    Result e = run("eval", "--checkpoint", trainedCheckpoint().toString(), "--dataset", "synthvid", "--features",
        data.resolve("features").toString(), "--meta", data.toString(), "--score", "global+local",
        "--dump-scores", dump.toString(), "--json");
    assertThat(e.exit()).as(e.err()).isZero();
    String[] lines = e.out().trim().split("\n");
    JsonNode j = Json.MAPPER.readTree(lines[lines.length - 1]);
    assertThat(j.path("protocol").path("score").asText()).isEqualTo("global+local (G + S^T)");
    regionvlp.data.NpyArray m = (regionvlp.data.NpyArray) regionvlp.data.Npy.read(dump);
    assertThat(m.shape()).containsExactly(12, 12);
    assertThat(m.descr()).isEqualTo("<f4");

    // Re-ranking every video (K = gallery size) must give exactly the full G + S^T ranking.
    Result all = run("eval", "--checkpoint", trainedCheckpoint().toString(), "--dataset", "synthvid", "--features",
        data.resolve("features").toString(), "--meta", data.toString(), "--score", "global+local",
        "--rerank-top", "12", "--json");
    assertThat(all.exit()).as(all.err()).isZero();
    String[] allLines = all.out().trim().split("\n");
    JsonNode k = Json.MAPPER.readTree(allLines[allLines.length - 1]);
    assertThat(k.path("t2v")).isEqualTo(j.path("t2v"));
    assertThat(k.path("protocol").path("score").asText()).contains("top 12");

    Result bad = run("eval", "--checkpoint", trainedCheckpoint().toString(), "--dataset", "synthvid",
        "--features", data.resolve("features").toString(), "--meta", data.toString(), "--faithful-orientation");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--faithful-orientation needs --score global+local");
  }

  @Test
  void unknownSetKeyIsAUsageError() {
    Result r = run("train", "--config", "quickstart", "--out", dir.resolve("never").toString(), "--set",
        "train.learningRate=1e-3");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("unknown config key 'train.learningRate'").contains("lr");
    assertThat(dir.resolve("never")).doesNotExist();
  }

  @Test
  void missingFeaturesFolderNamesThePath() {
    Path missing = dir.resolve("no-such-features");
    Result r = run(concat(new String[] {"train", "--config", "quickstart", "--out", dir.resolve("r2").toString(),
        "--set", "data.features=" + missing, "--set", "data.trainMeta=" + data.resolve("train.tsv")},
        tinyModel()));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains(missing.toString()).contains("features root not found");
  }

  @Test
  void clipsWithFewerFramesThanRequestedAreRefusedUpFront() throws IOException {
    Path copy = dir.resolve("short");
    copyTree(data, copy);
    Path clip = copy.resolve("features").resolve("test_000003");
    for (int k = 3; k < 16; k++) {
      Files.delete(clip.resolve(k + ".npz"));
    }
    Result r = run("eval", "--checkpoint", trainedCheckpoint().toString(), "--dataset", "synthvid",
        "--features", copy.resolve("features").toString(), "--meta", copy.toString(), "--frames", "4");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("test_000003").contains("3 frames, fewer than the 4 needed");
  }

  @Test
  void aWrongFeatureDimNamesTheFileAndBothDims() {
    Path run = dir.resolve("run-dim");
    Result r = run(concat(new String[] {"train", "--config", "quickstart", "--out", run.toString(),
        "--set", "data.features=" + data.resolve("features"), "--set", "data.trainMeta=" + data.resolve("train.tsv")},
        concat(tinyModel(), "--set", "model.video.featureDim=32")));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains(".npz").contains("expected featureDim 32, found 16");
  }

  @Test
  void resumeRefusesOptionsThatWouldChangeTheRun() {
    String run = trainedCheckpoint().toString();
    Result withConfig = run("train", "--resume", run, "--config", "quickstart");
    assertThat(withConfig.exit()).isEqualTo(2);
    assertThat(withConfig.err()).contains("drop --config");
    Result withOut = run("train", "--resume", run, "--out", dir.resolve("elsewhere").toString());
    assertThat(withOut.exit()).isEqualTo(2);
    assertThat(withOut.err()).contains("drop --out");
    Result unsafe = run("train", "--resume", run, "--set", "train.lr=1e-3");
    assertThat(unsafe.exit()).isEqualTo(2);
    assertThat(unsafe.err()).contains("--set train.lr cannot be combined with --resume")
        .contains("data.features").contains("train.checkpointEvery");
    Result neither = run("train");
    assertThat(neither.exit()).isEqualTo(2);
    assertThat(neither.err()).contains("train needs --config and --out (or --resume RUNDIR)");
  }

  @Test
  void resumingAFinishedRunChangesNothing() throws IOException {
    Path run = trainedCheckpoint();
    byte[] metrics = Files.readAllBytes(run.resolve("metrics.jsonl"));
    byte[] provenance = Files.readAllBytes(run.resolve("provenance.json"));
    Result r = run("train", "--resume", run.toString(), "--set", "train.logEvery=3");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("run already complete").contains("nothing to do");
    assertThat(Files.readAllBytes(run.resolve("metrics.jsonl"))).isEqualTo(metrics);
    assertThat(Files.readAllBytes(run.resolve("provenance.json"))).isEqualTo(provenance);
  }

  @Test
  void resumeNamesWhatIsMissing() throws IOException {
    Path none = dir.resolve("no-such-run");
    Result a = run("train", "--resume", none.toString());
    assertThat(a.exit()).isEqualTo(1);
    assertThat(a.err()).contains(none + ": no such run directory");
    Path empty = Files.createDirectories(dir.resolve("empty-run"));
    Result b = run("train", "--resume", empty.toString());
    assertThat(b.exit()).isEqualTo(1);
    assertThat(b.err()).contains(empty + ": not a run directory: expected config.json");
    Files.copy(trainedCheckpoint().resolve("config.json"), empty.resolve("config.json"));
    Result c = run("train", "--resume", empty.toString());
    assertThat(c.exit()).isEqualTo(1);
    assertThat(c.err()).contains("no checkpoint to resume from").contains("train.checkpointEvery");
  }

  /**
   * A run stopped after its step-2 checkpoint: a copy of a finished run with {@code last} pointed back at
   * step-2, which is exactly what a kill right after that checkpoint leaves, plus the later checkpoint and
   * metrics lines a later kill leaves too. Resume refuses a corrupt checkpoint and a changed training split
   * without touching the run, then continues and reproduces the run's own final weights (in one JVM; the
   * separate-process kill test is {@link ResumeAfterKillTest}).
   */
  @Test
  void resumeRefusesCorruptOrChangedInputsThenContinuesExactly() throws IOException {
    Path run = dir.resolve("run-resume");
    copyTree(trainedCheckpoint(), run);
    Path ckpts = run.resolve("checkpoints");
    java.util.Map<String, float[]> finalWeights = ResumeAfterKillTest.weights(ckpts.resolve("step-4"));
    byte[] metrics = Files.readAllBytes(run.resolve("metrics.jsonl"));
    Files.writeString(ckpts.resolve("last"), "step-2\n");

    Path opt = ckpts.resolve("step-2").resolve("optimizer.safetensors");
    byte[] full = Files.readAllBytes(opt);
    Files.write(opt, java.util.Arrays.copyOf(full, full.length / 2));
    Result corrupt = run("train", "--resume", run.toString());
    assertThat(corrupt.exit()).isEqualTo(1);
    assertThat(corrupt.err()).contains(opt.toString());
    Files.write(opt, full);

    Path changed = dir.resolve("train-changed.tsv");
    List<String> rows = Files.readAllLines(data.resolve("train.tsv"));
    rows.set(1, "an edited caption: " + rows.get(1));
    Files.write(changed, rows);
    Result edited = run("train", "--resume", run.toString(), "--set", "data.trainMeta=" + changed);
    assertThat(edited.exit()).isEqualTo(1);
    assertThat(edited.err()).contains(changed.toString()).contains("the training split differs");
    assertThat(Files.readAllBytes(run.resolve("metrics.jsonl"))).isEqualTo(metrics);
    assertThat(ckpts.resolve("step-4")).exists();

    Result ok = run("train", "--resume", run.toString());
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.err()).contains("removing " + ckpts.resolve("step-4"))
        .contains("removed 1 line(s) of steps after 2").contains("trained steps 3-4");
    ResumeAfterKillTest.assertSameWeights(finalWeights, ckpts.resolve("step-4"));
    List<Long> steps = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      steps.add(Json.MAPPER.readTree(line).path("step").asLong());
    }
    assertThat(steps).containsExactly(2L, 4L); // train.logEvery=2, each step once
    assertThat(regionvlp.run.Provenance.read(run.resolve("provenance.json")).resumes()).singleElement()
        .satisfies(r -> assertThat(r.checkpoint()).isEqualTo("checkpoints/step-2"));
  }

  private static Path trained;

  private static synchronized Path trainedCheckpoint() {
    if (trained == null) {
      Path run = dir.resolve("run-for-eval");
      Result t = run(concat(new String[] {"train", "--config", "quickstart", "--out", run.toString(),
          "--set", "data.features=" + data.resolve("features"), "--set", "data.trainMeta=" + data.resolve("train.tsv")},
          // After tinyModel(), whose train.epochs=2 would otherwise win: 4 steps, a resumable checkpoint at 2.
          concat(tinyModel(), "--set", "train.epochs=1", "--set", "train.checkpointEvery=2")));
      assertThat(t.exit()).as(t.err()).isZero();
      trained = run;
    }
    return trained;
  }

}
