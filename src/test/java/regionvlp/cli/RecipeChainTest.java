package regionvlp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static regionvlp.TestFiles.copyTree;
import static regionvlp.cli.CliTest.concat;
import static regionvlp.cli.CliTest.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.cli.CliTest.Result;
import regionvlp.model.DualEncoder;
import regionvlp.run.CheckpointInit;
import regionvlp.run.ConfigLoader;
import regionvlp.run.ExperimentConfig;
import regionvlp.run.Json;
import regionvlp.run.TrainerState;

/**
 * The README's recipe chain at tiny sizes, every step through the command line: SynthVid written in the
 * WebVid, CC3M and MSR-VTT layouts; pre-training alternating WebVid and CC3M batches (METHOD.md 4.1);
 * fine-tuning on MSR-VTT from the pre-trained checkpoint (4.2); zero-shot evaluation of the pre-trained
 * checkpoint with the fine-tune preset's protocol (5.4); evaluation of the fine-tuned one.
 */
class RecipeChainTest {
  @TempDir static Path dir;
  static Path webvid;
  static Path cc3m;
  static Path msrvtt;
  static Path pretrained;
  static String pretrainLog;

  // Corpus sizes: two sources of different lengths, so that the epoch length is the shorter one's.
  static final int WEBVID_TRAIN = 40;
  static final int CC3M_TRAIN = 24;
  static final int MSRVTT_TRAIN = 16;
  static final int TEST = 12;
  static final int BATCH = 8;

  /** The tiny model shared by pre-training and fine-tuning (only the frame count differs). */
  static String[] tiny() {
    return new String[] {"--set", "model.video.featureDim=16", "--set", "model.video.width=32", "--set",
        "model.video.mlpDim=64", "--set", "model.text.width=32", "--set", "model.text.ffnDim=64", "--set",
        "model.text.maxLength=24", "--set", "model.text.init=RANDOM", "--set", "model.text.maxPositions=64",
        "--set", "model.text.depth=2", "--set", "model.text.numHeads=4", "--set", "train.batchSize=" + BATCH,
        "--set", "train.logEvery=1", "--set", "data.loaderThreads=1"};
  }

  static Path synth(String layout, int train) {
    Path out = dir.resolve(layout);
    Result r = run("synth", "--out", out.toString(), "--layout", layout, "--feature-dim", "16", "--seed", "3",
        "--train-videos", Integer.toString(train), "--val-videos", "0", "--test-videos", Integer.toString(TEST),
        "--threads", "2");
    assertThat(r.exit()).as(r.err()).isZero();
    return out;
  }

  static String[] pretrainArgs(Path out) {
    return concat(new String[] {"train", "--config", "synthvid-pretrain", "--out", out.toString(),
        "--set", "data.features=" + webvid.resolve("features"), "--set", "data.trainMeta=" + webvid,
        "--set", "data.secondary.features=" + cc3m.resolve("features"), "--set", "data.secondary.trainMeta=" + cc3m},
        concat(tiny(), "--set", "train.epochs=2", "--set", "train.milestones=[1]"));
  }

  @BeforeAll
  static void corporaAndPretraining() {
    webvid = synth("webvid", WEBVID_TRAIN);
    cc3m = synth("cc3m", CC3M_TRAIN);
    msrvtt = synth("msrvtt", MSRVTT_TRAIN);
    pretrained = dir.resolve("pt");
    Result r = run(concat(pretrainArgs(pretrained), "--set", "train.checkpointEvery=3"));
    assertThat(r.exit()).as(r.err()).isZero();
    pretrainLog = r.err();
  }

  /**
   * The WebVid and CC3M layouts are read back by the real readers, one caption per item; every fourth CC3M
   * image is written under the reader's fallback name {@code <id>_0.npz} and is read too.
   */
  @Test
  void synthWritesTheWebVidAndCc3mLayoutsTheReadersExpect() throws IOException {
    assertThat(pretrainLog).contains("train: " + WEBVID_TRAIN + " videos, " + WEBVID_TRAIN + " captions from "
        + webvid + " (webvid)");
    assertThat(pretrainLog).contains("train (secondary cc3m): " + CC3M_TRAIN + " videos, " + CC3M_TRAIN
        + " captions");
    assertThat(webvid.resolve("features/train/000000_000049/1000000000/0.npz")).isRegularFile();
    try (Stream<Path> s = Files.walk(cc3m.resolve("features/train"))) {
      List<String> names = s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
      assertThat(names).hasSize(CC3M_TRAIN);
      assertThat(names.stream().filter(n -> n.endsWith("_0.npz"))).hasSize(CC3M_TRAIN / 4);
    }
    assertThat(cc3m.resolve("cc3m_validation_success_full.tsv")).content().hasLineCount(TEST);
  }

  /**
   * WebVid has 40 / 8 = 5 full batches, CC3M 24 / 8 = 3: an epoch is min(5, 3) = 3 iterations of one WebVid
   * step then one CC3M step, 6 steps; 2 epochs = 12 steps, epoch 1 at firstEpochLr 1e-5 and epoch 2 at
   * lr 2e-4 x 0.1^(milestones <= 1) = 2e-5.
   */
  @Test
  void pretrainingAlternatesTheTwoSourcesOneStepEach() throws IOException {
    List<JsonNode> steps = stepLines(pretrained);
    assertThat(steps).hasSize(12);
    for (int i = 0; i < steps.size(); i++) {
      JsonNode s = steps.get(i);
      assertThat(s.path("step").asInt()).isEqualTo(i + 1);
      assertThat(s.path("source").asText()).as("step %d", i + 1).isEqualTo(i % 2 == 0 ? "webvid" : "cc3m");
      assertThat(s.path("epoch").asInt()).isEqualTo(i / 6 + 1);
      assertThat(s.path("lr").asDouble()).isEqualTo(i < 6 ? 1e-5 : 2e-4 * 0.1, org.assertj.core.data.Offset
          .offset(1e-12));
    }
    JsonNode head = Json.MAPPER.readTree(Files.readAllLines(pretrained.resolve("metrics.jsonl")).get(0));
    assertThat(head.path("sources").toString()).isEqualTo("[\"webvid\",\"cc3m\"]");
    assertThat(head.path("iterationsPerEpoch").asInt()).isEqualTo(3);
    // The checkpoint after step 3 (webvid, cc3m, webvid) says the next step reads cc3m.
    TrainerState at3 = Json.MAPPER.readValue(pretrained.resolve("checkpoints/step-3/trainer-state.json").toFile(),
        TrainerState.class);
    assertThat(at3.nextSource()).isEqualTo("cc3m");
    assertThat(at3.batchInEpoch()).isEqualTo(3);
    assertThat(at3.secondaryDataSha256()).isNotNull().isNotEqualTo(at3.trainDataSha256());
  }

  /** maxSamplesPerEpoch 40 allows floor(40 / (8 x 2)) = 2 iterations (the original's (iter+1)*256 rule). */
  @Test
  void maxSamplesPerEpochCapsTheIterations() throws IOException {
    Path out = dir.resolve("pt-capped");
    Result r = run(concat(pretrainArgs(out), "--set", "train.maxSamplesPerEpoch=40"));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("alternating webvid and cc3m batches: 2 iterations per epoch (5 and 3 full"
        + " batches, train.maxSamplesPerEpoch 40)");
    assertThat(stepLines(out)).hasSize(8);
  }

  /**
   * Resuming after step 3, mid-iteration with a CC3M batch next, gives bitwise the weights of the run that
   * was never stopped.
   */
  @Test
  void resumeWithTwoSourcesEqualsTheUninterruptedRun() throws IOException {
    Path run = dir.resolve("pt-resumed");
    copyTree(pretrained, run);
    Map<String, float[]> finalWeights = ResumeAfterKillTest.weights(run.resolve("checkpoints/step-12"));
    Files.writeString(run.resolve("checkpoints/last"), "step-3\n");
    // A changed CC3M split is refused before anything is touched.
    Path edited = Files.createDirectories(dir.resolve("cc3m-edited"));
    List<String> rows = new ArrayList<>(Files.readAllLines(cc3m.resolve("cc3m_training_success_full.tsv")));
    rows.set(0, "an edited caption " + rows.get(0));
    Files.write(edited.resolve("cc3m_training_success_full.tsv"), rows);
    Result refused = run("train", "--resume", run.toString(), "--set", "data.secondary.trainMeta=" + edited);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains(edited.toString()).contains("the secondary training split");
    assertThat(run.resolve("checkpoints/step-12")).exists();
    Result r = run("train", "--resume", run.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("trained steps 4-12");
    ResumeAfterKillTest.assertSameWeights(finalWeights, run.resolve("checkpoints/step-12"));
    assertThat(stepLines(run)).extracting(s -> s.path("source").asText()).containsExactly("webvid", "cc3m",
        "webvid", "cc3m", "webvid", "cc3m", "webvid", "cc3m", "webvid", "cc3m", "webvid", "cc3m");
  }

  /**
   * Fine-tuning initialisation: every tensor equals the pre-trained one, except the temporal embedding,
   * whose row 0 is the pre-trained [1, 1, 32] vector and rows 1..7 are zeros.
   */
  @Test
  void initFromCopiesBothTowersAndZeroInflatesTheTemporalEmbedding() {
    Map<String, float[]> pt = ResumeAfterKillTest.weights(pretrained.resolve("checkpoints/step-12"));
    List<String> sets = new ArrayList<>();
    String[] t = tiny();
    for (int i = 1; i < t.length; i += 2) {
      sets.add(t[i]);
    }
    ExperimentConfig ft = ConfigLoader.load("synthvid-finetune-msrvtt", sets);
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(ft.model(), m, 123)) {
      CheckpointInit.Report rep = CheckpointInit.apply(model, ft.model(), pretrained);
      assertThat(rep.savedFrames()).isEqualTo(1);
      assertThat(rep.frames()).isEqualTo(8);
      model.params().all().forEach((name, arr) -> {
        float[] got = arr.toFloatArray();
        float[] saved = pt.get(name);
        if (name.equals(CheckpointInit.TEMPORAL)) {
          assertThat(arr.getShape().getShape()).containsExactly(1, 8, 32);
          assertThat(saved).hasSize(32);
          assertThat(java.util.Arrays.equals(java.util.Arrays.copyOf(got, 32), saved)).as("row 0").isTrue();
          assertThat(saved).as("the pre-trained frame-0 vector is not all zero").isNotEqualTo(new float[32]);
          assertThat(java.util.Arrays.copyOfRange(got, 32, got.length)).containsOnly(0f);
        } else {
          // Arrays.equals, not containsExactly: AssertJ's diff is quadratic on the 1M-float word embedding.
          assertThat(java.util.Arrays.equals(got, saved)).as(name).isTrue();
        }
      });
    }
  }

  /** The four README steps: pre-train (above), fine-tune, zero-shot eval, fine-tuned eval. */
  @Test
  void fineTuneThenZeroShotAndFineTunedEvaluation() throws IOException {
    Path ft = dir.resolve("ft");
    Result train = run(concat(new String[] {"train", "--config", "synthvid-finetune-msrvtt", "--init-from",
        pretrained.toString(), "--out", ft.toString(), "--set", "data.features=" + msrvtt.resolve("features"),
        "--set", "data.trainMeta=" + msrvtt}, concat(tiny(), "--set", "train.epochs=1")));
    assertThat(train.exit()).as(train.err()).isZero();
    assertThat(train.err()).contains("temporal_embed: inflated from 1 to 8 frames with zeros");
    JsonNode init = Json.MAPPER.readTree(Files.readAllLines(ft.resolve("metrics.jsonl")).get(0)).path("initFrom");
    assertThat(init.path("checkpointFrames").asInt()).isEqualTo(1);
    assertThat(init.path("frames").asInt()).isEqualTo(8);
    assertThat(stepLines(ft)).hasSize(MSRVTT_TRAIN / BATCH); // single source: no "source" key
    assertThat(stepLines(ft)).allSatisfy(s -> assertThat(s.has("source")).isFalse());

    Result zs = run("eval", "--checkpoint", pretrained.toString(), "--preset", "synthvid-finetune-msrvtt",
        "--features", msrvtt.resolve("features").toString(), "--meta", msrvtt.toString(), "--json");
    assertThat(zs.exit()).as(zs.err()).isZero();
    JsonNode zp = lastJson(zs.out()).path("protocol");
    assertThat(zp.path("zeroShot").asBoolean()).isTrue();
    assertThat(zp.path("preset").asText()).isEqualTo("synthvid-finetune-msrvtt");
    assertThat(zp.path("dataset").asText()).isEqualTo("msrvtt");
    assertThat(zp.path("frames").asInt()).isEqualTo(8);
    assertThat(zp.path("temporalEmbed").asText()).startsWith("temporal_embed: inflated from 1 to 8 frames");
    assertThat(zp.path("itemsEvaluated").asInt()).isEqualTo(TEST);
    assertThat(zp.path("videos").asInt()).isEqualTo(TEST);
    assertThat(zs.out()).contains("(zero-shot)");

    Result fe = run("eval", "--checkpoint", ft.toString(), "--dataset", "msrvtt",
        "--features", msrvtt.resolve("features").toString(), "--meta", msrvtt.toString(), "--json");
    assertThat(fe.exit()).as(fe.err()).isZero();
    JsonNode fp = lastJson(fe.out()).path("protocol");
    assertThat(fp.has("zeroShot")).isFalse();
    assertThat(fp.path("frames").asInt()).isEqualTo(8);
    assertThat(fp.path("temporalEmbed").asText()).isEqualTo("as saved (8 frame(s))");
    assertThat(fp.path("checkpointTrainedOn").toString()).isEqualTo("[\"msrvtt\"]");
    assertThat(fp.path("itemsEvaluated").asInt()).isEqualTo(TEST);
  }

  @Test
  void initFromNamesTheMismatchingTensorOrTextKey() {
    String[] base = {"train", "--config", "synthvid-finetune-msrvtt", "--init-from", pretrained.toString(),
        "--set", "data.features=" + msrvtt.resolve("features"), "--set", "data.trainMeta=" + msrvtt};
    Result shape = run(concat(concat(base, "--out", dir.resolve("never-1").toString()),
        concat(tiny(), "--set", "model.video.mlpDim=48")));
    assertThat(shape.exit()).isEqualTo(1);
    assertThat(shape.err()).contains("tensor 'object_model.blocks.0.mlp.fc1.weight'").contains("(48, 32)")
        .contains("(64, 32)");
    Result text = run(concat(concat(base, "--out", dir.resolve("never-2").toString()),
        concat(tiny(), "--set", "model.text.depth=1")));
    assertThat(text.exit()).isEqualTo(1);
    assertThat(text.err()).contains("model.text.depth: checkpoint 2, config 1");
    Result heads = run(concat(concat(base, "--out", dir.resolve("never-3").toString()),
        concat(tiny(), "--set", "model.video.numHeads=2")));
    assertThat(heads.exit()).isEqualTo(1);
    assertThat(heads.err()).contains("model.video.numHeads: checkpoint 4, config 2");
    assertThat(dir.resolve("never-1")).doesNotExist();
    assertThat(dir.resolve("never-2")).doesNotExist();
  }

  /** The metrics lines of optimiser steps (those with a loss), in order. */
  static List<JsonNode> stepLines(Path run) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = Json.MAPPER.readTree(line);
      if (n.has("loss")) {
        out.add(n);
      }
    }
    return out;
  }

  static JsonNode lastJson(String out) throws IOException {
    String[] lines = out.strip().split("\n");
    return Json.MAPPER.readTree(lines[lines.length - 1]);
  }

}
