package regionvlp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static regionvlp.cli.CliTest.concat;
import static regionvlp.cli.CliTest.run;
import static regionvlp.cli.CliTest.tinyModel;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.datasets.FaultyCorpus;
import regionvlp.run.Json;

/**
 * {@code data check}, training that skips bad clips, evaluation that refuses or lists them, and SynthVid in
 * the MSR-VTT layout read back through the {@code msrvtt} reader, all through the command line.
 */
class DataCliTest {
  @TempDir static Path dir;

  static JsonNode lastJson(String out) throws IOException {
    String[] lines = out.trim().split("\n");
    return Json.MAPPER.readTree(lines[lines.length - 1]);
  }

  @Test
  void dataCheckReportsEveryPlantedFaultAsJson() throws IOException {
    Path data = FaultyCorpus.build(dir.resolve("check"), 16);
    CliTest.Result r = run("data", "check", "--dataset", "folder", "--features", data.resolve("features").toString(),
        "--meta", data.resolve("captions.tsv").toString(), "--frames", "4", "--feature-dim", "16", "--json");
    assertThat(r.exit()).as(r.err()).isEqualTo(1);
    JsonNode j = lastJson(r.out());
    assertThat(j.path("ok").asInt()).isEqualTo(12);
    for (String k : List.of("corrupt", "tooFewFrames", "wrongDim", "nonFinite")) {
      assertThat(j.path(k).asInt()).as(k).isEqualTo(1);
    }
    assertThat(j.path("missing").asInt()).isEqualTo(2); // c13 (5.npz) and c17 (no folder)
    assertThat(j.path("captionFaults").path("nonUtf8Caption").asInt()).isEqualTo(1);
    assertThat(j.path("captionFaults").path("emptyCaption").asInt()).isEqualTo(1);
    assertThat(j.path("metaRecords").asInt()).isEqualTo(20);
    assertThat(r.out()).contains("12 ok, 2 missing, 1 corrupt, 1 too few frames (F=4), 1 wrong dim (D=16), 1 NaN/Inf");

    CliTest.Result clean = run("data", "check", "--dataset", "didemo", "--meta",
        resource("datasets/didemo/meta_data").toString(), "--meta-only", "--json");
    assertThat(clean.exit()).as(clean.err()).isZero();
    assertThat(lastJson(clean.out()).path("captions").asInt()).isEqualTo(5);
  }

  @Test
  void trainingSkipsBadClipsAndEvaluationRefusesOrListsThem() throws IOException {
    Path data = FaultyCorpus.build(dir.resolve("faulty"), 16);
    Path run = dir.resolve("run-faulty");
    CliTest.Result t = run(concat(new String[] {"train", "--config", "quickstart", "--out", run.toString(),
        "--set", "data.dataset=folder", "--set", "data.features=" + data.resolve("features"),
        "--set", "data.trainMeta=" + data.resolve("captions.tsv"), "--set", "data.maxBadFraction=0.5"},
        concat(tinyModel(), "--set", "train.batchSize=4", "--set", "train.epochs=3")));
    assertThat(t.exit()).as(t.err()).isZero();
    assertThat(t.out()).contains("skipped:");
    assertThat(t.err()).contains("train: skipping tooFewFrames c16").contains("train: skipping missing c17")
        .contains("skipped 8 bad training items");
    List<String> skipped = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode rec = Json.MAPPER.readTree(line);
      rec.path("skipped").forEach(f -> skipped.add(f.path("id").asText()));
    }
    // 3 epochs x 3 batches read every clip at least once: all six bad clips and both bad rows are reported once.
    assertThat(skipped).containsExactlyInAnyOrder("c12", "c13", "c14", "c15", "c16", "c17", "c18", "c19");

    String[] eval = {"eval", "--checkpoint", run.toString(), "--dataset", "folder", "--features",
        data.resolve("features").toString(), "--meta", data.resolve("captions.tsv").toString(), "--json"};
    CliTest.Result refused = run(eval);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("never drops a test item silently").contains("--allow-missing");
    CliTest.Result allowed = run(concat(eval, "--allow-missing"));
    assertThat(allowed.exit()).as(allowed.err()).isZero();
    JsonNode p = lastJson(allowed.out()).path("protocol");
    assertThat(p.path("itemsListed").asInt()).isEqualTo(20);
    assertThat(p.path("itemsEvaluated").asInt()).isEqualTo(12);
    assertThat(p.path("queries").asInt()).isEqualTo(12);
    List<String> excluded = new ArrayList<>();
    p.path("excluded").forEach(f -> excluded.add(f.path("id").asText() + ":" + f.path("kind").asText()));
    assertThat(excluded).containsExactly("c12:corrupt", "c13:missing", "c14:wrongDim", "c15:nonFinite",
        "c16:tooFewFrames", "c17:missing", "c18:nonUtf8Caption", "c19:emptyCaption");
    assertThat(p.path("headerSkip").asBoolean()).isFalse();
  }

  @Test
  void synthVidInTheMsrVttLayoutTrainsAndEvaluatesThroughTheMsrVttReader() throws IOException {
    Path data = dir.resolve("msrvtt-synth");
    CliTest.Result s = run("synth", "--out", data.toString(), "--layout", "msrvtt", "--seed", "3",
        "--train-videos", "24", "--val-videos", "4", "--test-videos", "10", "--feature-dim", "16", "--threads", "2");
    assertThat(s.exit()).as(s.err()).isZero();
    assertThat(data.resolve("annotation/MSR_VTT.json")).exists();
    Path lists = data.resolve("high-quality/structured-symlinks");
    assertThat(Files.readAllLines(lists.resolve("train_list_jsfusion.txt"))).hasSize(24).startsWith("video0");
    assertThat(Files.readAllLines(lists.resolve("val_list_jsfusion.txt"))).hasSize(10).startsWith("video28");
    assertThat(data.resolve("features/video37/15.npz")).exists();
    assertThat(data.resolve("train.tsv")).doesNotExist();

    Path run = dir.resolve("run-msrvtt");
    CliTest.Result t = run(concat(new String[] {"train", "--config", "quickstart", "--out", run.toString(),
        "--set", "data.dataset=msrvtt", "--set", "data.features=" + data.resolve("features"),
        "--set", "data.trainMeta=" + data, "--set", "data.valMeta=" + data, "--faithful-sampling"},
        concat(tinyModel(), "--set", "train.epochs=1")));
    assertThat(t.exit()).as(t.err()).isZero();
    assertThat(t.err()).contains("train: 24 videos, 72 captions").contains("(msrvtt)").contains("faithful sampler");

    CliTest.Result e = run("eval", "--checkpoint", run.toString(), "--dataset", "msrvtt", "--features",
        data.resolve("features").toString(), "--meta", data.toString(), "--json");
    assertThat(e.exit()).as(e.err()).isZero();
    JsonNode p = lastJson(e.out()).path("protocol");
    assertThat(p.path("dataset").asText()).isEqualTo("msrvtt");
    assertThat(p.path("queries").asInt()).isEqualTo(10);
    assertThat(p.path("videos").asInt()).isEqualTo(10);
    assertThat(p.path("captionPolicy").asText()).contains("jsfusion_val_caption_idx.pkl");
    assertThat(p.path("excluded")).isEmpty();
    assertThat(Set.of(p.path("headerSkip").asText())).containsExactly(
        "n/a (JSON and list files read with explicit column names)");

    // A corrupt frame among those the test sampler reads (K=16, F=4: frames 1, 5, 9, 13) is found while
    // encoding: refused with the file named, or excluded and listed with --allow-missing.
    Path frame = data.resolve("features/video30/5.npz");
    byte[] bytes = Files.readAllBytes(frame);
    Files.write(frame, java.util.Arrays.copyOf(bytes, bytes.length / 3));
    String[] eval = {"eval", "--checkpoint", run.toString(), "--dataset", "msrvtt", "--features",
        data.resolve("features").toString(), "--meta", data.toString(), "--json"};
    CliTest.Result refused = run(eval);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("video30/5.npz").contains("--allow-missing");
    CliTest.Result allowed = run(concat(eval, "--allow-missing"));
    assertThat(allowed.exit()).as(allowed.err()).isZero();
    JsonNode q = lastJson(allowed.out()).path("protocol");
    assertThat(q.path("queries").asInt()).isEqualTo(9);
    assertThat(q.path("excluded").get(0).path("id").asText()).isEqualTo("video30");
    assertThat(q.path("excluded").get(0).path("kind").asText()).isEqualTo("corrupt");
  }

  static Path resource(String name) {
    try {
      return Path.of(DataCliTest.class.getClassLoader().getResource(name).toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
