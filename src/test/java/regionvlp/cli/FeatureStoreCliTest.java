package regionvlp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.synth.SynthConfig;
import regionvlp.data.synth.SynthVid;
import regionvlp.run.Json;

/**
 * {@code features convert|verify}, training and evaluation from a store ({@code data.store}, {@code --store})
 * and {@code bench io}, end to end on a tiny real SynthVid corpus.
 */
class FeatureStoreCliTest {
  @TempDir static Path dir;
  static Path data;
  static Path store;

  @BeforeAll
  static void corpusAndStore() throws IOException {
    data = dir.resolve("data");
    SynthVid.generate(SynthConfig.defaults().withSeed(4).withTrainVideos(24).withValVideos(0).withTestVideos(8)
        .withFeatureDim(16).withThreads(2), data, SynthVid.Progress.none());
    store = dir.resolve("store");
    CliTest.Result r = CliTest.run("features", "convert", "--from", data.resolve("features").toString(), "--to",
        store.toString(), "--threads", "2", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode j = lastJson(r.out());
    assertThat(j.path("clips").asInt()).isEqualTo(32);
    assertThat(j.path("frames").asInt()).isEqualTo(32 * 16);
    assertThat(j.path("dtype").asText()).isEqualTo("float32");
    assertThat(j.path("featureDim").asInt()).isEqualTo(16);
  }

  static JsonNode lastJson(String out) throws IOException {
    String[] lines = out.trim().split("\n");
    return Json.MAPPER.readTree(lines[lines.length - 1]);
  }

  static List<String> losses(Path run) throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode j = Json.MAPPER.readTree(line);
      if (j.has("loss")) {
        out.add(j.path("step").asText() + ":" + j.path("loss").asText() + ":" + j.path("gradNorm").asText());
      }
    }
    return out;
  }

  @Test
  void trainingAndEvalFromAFloat32StoreMatchTheTreeExactly() throws IOException {
    String[] common = CliTest.concat(CliTest.concat(new String[] {"train", "--config", "quickstart",
        "--set", "data.trainMeta=" + data.resolve("train.tsv")}, CliTest.tinyModel()), "--set", "train.logEvery=1");
    Path fromTree = dir.resolve("run-tree");
    CliTest.Result a = CliTest.run(CliTest.concat(common, "--out", fromTree.toString(),
        "--set", "data.features=" + data.resolve("features")));
    assertThat(a.exit()).as(a.err()).isZero();
    Path fromStore = dir.resolve("run-store");
    CliTest.Result b = CliTest.run(CliTest.concat(common, "--out", fromStore.toString(),
        "--set", "data.store=" + store));
    assertThat(b.exit()).as(b.err()).isZero();
    assertThat(b.err()).contains("clips from FeatureStore[" + store);

    List<String> treeLosses = losses(fromTree);
    assertThat(treeLosses).hasSize(6); // 24 videos / batch 8 = 3 steps per epoch, 2 epochs
    assertThat(losses(fromStore)).isEqualTo(treeLosses);
    assertThat(Files.readAllBytes(fromStore.resolve("checkpoints/step-6/model.safetensors")))
        .isEqualTo(Files.readAllBytes(fromTree.resolve("checkpoints/step-6/model.safetensors")));

    CliTest.Result e1 = CliTest.run("eval", "--checkpoint", fromTree.toString(), "--dataset", "synthvid",
        "--features", data.resolve("features").toString(), "--meta", data.toString(), "--json");
    CliTest.Result e2 = CliTest.run("eval", "--checkpoint", fromTree.toString(), "--dataset", "synthvid",
        "--store", store.toString(), "--meta", data.toString(), "--json");
    assertThat(e1.exit()).as(e1.err()).isZero();
    assertThat(e2.exit()).as(e2.err()).isZero();
    JsonNode j1 = lastJson(e1.out());
    JsonNode j2 = lastJson(e2.out());
    assertThat(j2.path("t2v")).isEqualTo(j1.path("t2v"));
    assertThat(j2.path("v2t")).isEqualTo(j1.path("v2t"));
    assertThat(j1.path("protocol").path("features").asText()).startsWith("npz tree");
    assertThat(j2.path("protocol").path("features").asText()).startsWith("feature store").contains("float32");

    CliTest.Result both = CliTest.run("eval", "--checkpoint", fromTree.toString(), "--dataset", "synthvid",
        "--features", data.resolve("features").toString(), "--store", store.toString(), "--meta", data.toString());
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("exactly one of --features");
  }

  @Test
  void verifyPassesAndThenNamesACorruptShard() throws IOException {
    Path copy = dir.resolve("store-copy");
    Files.createDirectories(copy);
    try (var files = Files.list(store)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.copy(p, copy.resolve(p.getFileName()));
      }
    }
    CliTest.Result ok = CliTest.run("features", "verify", copy.toString(), "--json");
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(lastJson(ok.out()).path("ok").asBoolean()).isTrue();

    Path shard = copy.resolve("regions-00000.npy");
    try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
      f.seek(4096);
      int v = f.read();
      f.seek(4096);
      f.write(v ^ 1);
    }
    CliTest.Result bad = CliTest.run("features", "verify", copy.toString());
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.err()).contains(shard.toString()).contains("checksum mismatch: expected crc32");

    CliTest.Result exists = CliTest.run("features", "convert", "--from", data.resolve("features").toString(),
        "--to", store.toString());
    assertThat(exists.exit()).isEqualTo(2);
    assertThat(exists.err()).contains("already holds a feature store");
  }

  @Test
  void benchIoReportsBothSourcesAndThatTheyAgree() throws IOException {
    CliTest.Result r = CliTest.run("bench", "io", "--features", data.resolve("features").toString(), "--store",
        store.toString(), "--clips", "6", "--passes", "1", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode j = lastJson(r.out());
    assertThat(j.path("clips").asInt()).isEqualTo(6);
    assertThat(j.path("framesPerPass").asInt()).isEqualTo(6 * 8);
    assertThat(j.path("identical").asBoolean()).isTrue();
    assertThat(j.path("tree").path("clipsPerSecond").asDouble()).isPositive();
    assertThat(j.path("store").path("clipsPerSecond").asDouble()).isPositive();
    assertThat(j.path("speedup").asDouble()).isPositive();

    CliTest.Result half = CliTest.run("bench", "io", "--features", data.resolve("features").toString(), "--dtype",
        "fp16", "--clips", "3", "--passes", "1", "--json");
    assertThat(half.exit()).as(half.err()).isZero();
    JsonNode h = lastJson(half.out());
    assertThat(h.path("dtype").asText()).isEqualTo("float16");
    assertThat(h.path("identical").asBoolean()).isFalse();
    assertThat(h.path("masksEqual").asBoolean()).isTrue();
    assertThat(h.path("maxAbsDiff").asDouble()).isPositive().isLessThan(0.01);
    assertThat(h.path("convertSeconds").isNumber()).isTrue();
  }
}
