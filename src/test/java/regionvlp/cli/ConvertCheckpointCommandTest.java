package regionvlp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.synth.SynthConfig;
import regionvlp.data.synth.SynthVid;
import regionvlp.model.AuthorsCheckpointTest;
import regionvlp.model.DualEncoder;
import regionvlp.model.TextEmbeddings;
import regionvlp.model.VideoEmbeddings;
import regionvlp.run.Checkpoints;
import regionvlp.run.Json;

/**
 * {@code convert-checkpoint} and {@code train --init-video-from} end to end: the authors'-layout fixture made by
 * the original code goes .pth -> our checkpoint folder -> {@link Checkpoints#load} -> forward, which must match
 * the original's forward; and the refusals a user can hit.
 */
class ConvertCheckpointCommandTest {
  @TempDir Path dir;

  private String[] fixtureFlags(JsonNode s) {
    return new String[] {"--frames", s.path("loadedFrames").asText(), "--video-heads", s.path("videoHeads").asText(),
        "--text-heads", s.path("textHeads").asText()};
  }

  @Test
  void convertedCheckpointLoadsAndReproducesTheOriginalForward() throws Exception {
    JsonNode g = AuthorsCheckpointTest.json("demovlp_tiny.json");
    JsonNode s = g.path("sizes");
    Path out = dir.resolve("ckpt");
    CliTest.Result r = CliTest.run(CliTest.concat(new String[] {"convert-checkpoint",
        AuthorsCheckpointTest.golden("demovlp_tiny.pth").toString(), out.toString(), "--json"}, fixtureFlags(s)));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("inflated from 1 to 3 frames with zeros").contains("stripped the DataParallel");
    String[] lines = r.out().strip().split("\n");
    JsonNode j = Json.MAPPER.readTree(lines[lines.length - 1]);
    assertThat(j.path("checkpoint").asText()).isEqualTo(out.toString());
    assertThat(j.path("numFrames").asInt()).isEqualTo(3);
    for (String f : List.of(Checkpoints.WEIGHTS, Checkpoints.CONFIG, Checkpoints.PROVENANCE, "source.json")) {
      assertThat(out.resolve(f)).exists();
    }
    JsonNode source = Json.MAPPER.readTree(out.resolve("source.json").toFile());
    assertThat(source.path("sha256").asText()).hasSize(64);

    int videos = s.path("videos").asInt();
    int tokens = s.path("tokens").asInt();
    int frames = s.path("loadedFrames").asInt();
    int regions = s.path("regions").asInt();
    try (NDManager m = NDManager.newBaseManager()) {
      Checkpoints.Loaded loaded = Checkpoints.load(out, m);
      assertThat(loaded.config().model().text().maxLength()).isEqualTo(100);
      assertThat(loaded.config().data().numFrames()).isEqualTo(frames);
      assertThat(loaded.config().data().numRegions()).isEqualTo(regions);
      try (DualEncoder model = loaded.model()) {
        TextEmbeddings t = model.encodeText(
            m.create(AuthorsCheckpointTest.longs(g.path("inputIds")), new Shape(videos, tokens)),
            m.create(AuthorsCheckpointTest.longs(g.path("attentionMask")), new Shape(videos, tokens)));
        AuthorsCheckpointTest.assertClose("global text", t.global().toFloatArray(),
            AuthorsCheckpointTest.floats(g.path("globalText")));
        VideoEmbeddings v = model.encodeVideo(
            m.create(AuthorsCheckpointTest.floats(g.path("objects")),
                new Shape(videos, frames, regions, s.path("featureDim").asInt() + 6)),
            m.create(AuthorsCheckpointTest.floats(g.path("objectMask")), new Shape(videos, frames, regions)));
        AuthorsCheckpointTest.assertClose("global video", v.global().toFloatArray(),
            AuthorsCheckpointTest.floats(g.path("globalVideo")));
        AuthorsCheckpointTest.assertClose("local video", v.local().toFloatArray(),
            AuthorsCheckpointTest.floats(g.path("localVideo")));
      }
    }
  }

  @Test
  void anExistingOutputIsNeverOverwritten() throws Exception {
    Path out = Files.createDirectories(dir.resolve("taken"));
    Files.writeString(out.resolve("keep.txt"), "mine");
    JsonNode s = AuthorsCheckpointTest.json("demovlp_tiny.json").path("sizes");
    CliTest.Result r = CliTest.run(CliTest.concat(new String[] {"convert-checkpoint",
        AuthorsCheckpointTest.golden("demovlp_tiny.pth").toString(), out.toString()}, fixtureFlags(s)));
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("already exists");
    assertThat(Files.readString(out.resolve("keep.txt"))).isEqualTo("mine");
    assertThat(out.resolve(Checkpoints.WEIGHTS)).doesNotExist();
  }

  @Test
  void aHuggingFaceFolderBecomesACheckpointWithItsTextTower() throws Exception {
    Path hf = regionvlp.model.HfTextCheckpointTest.fixture("distilbert-tiny");
    Path out = dir.resolve("o");
    CliTest.Result r = CliTest.run("convert-checkpoint", hf.toString(), out.toString(), "--config", "quickstart",
        "--set", "model.video.width=16", "--set", "model.video.numHeads=2", "--set", "model.video.mlpDim=32",
        "--set", "model.embedDim=8", "--set", "model.text.maxLength=16");
    assertThat(r.exit()).as(r.err()).isEqualTo(0);
    assertThat(r.out()).contains("fresh initialisation");
    var folder = regionvlp.model.HfTextCheckpoint.load(hf, 16);
    try (NDManager m = NDManager.newBaseManager()) {
      Checkpoints.Loaded loaded = Checkpoints.load(out, m);
      try (DualEncoder model = loaded.model()) {
        var expected = folder.tensors(loaded.config().model().text());
        assertThat(expected).isNotEmpty();
        for (var e : expected.entrySet()) {
          assertThat(model.params().get(e.getKey()).toFloatArray()).as(e.getKey())
              .containsExactly(e.getValue().values());
        }
        assertThat(loaded.config().model().video().width()).isEqualTo(16);
      }
    }
    assertThat(Files.readString(out.resolve("source.json"))).contains("text tower only");
  }

  @Test
  void aPlantedOsSystemIsRefusedNothingRunsAndNothingIsWritten() throws Exception {
    Path marker = dir.resolve("pwned-" + UUID.randomUUID());
    // The authors' layout: {'state_dict': ..., 'config': os.system('touch MARKER')}.
    byte[] pickle = regionvlp.data.PthTestFiles.checkpointWithPlantedCall("os", "system", "touch " + marker);
    Path evil = dir.resolve("evil.pth");
    Files.write(evil, regionvlp.data.PthTestFiles.torchZip(pickle));
    Path out = dir.resolve("never");
    CliTest.Result r = CliTest.run("convert-checkpoint", evil.toString(), out.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("'os.system'").contains("evil.pth").contains("nothing was executed");
    assertThat(marker).doesNotExist();
    assertThat(out).doesNotExist();
  }

  @Test
  void headsThatCannotBeInferredNameTheFlag() {
    CliTest.Result r = CliTest.run("convert-checkpoint", AuthorsCheckpointTest.golden("demovlp_tiny.pth").toString(),
        dir.resolve("x").toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("--video-heads");
  }

  @Test
  void trainInitialisesTheVideoBlocksFromATimmCheckpointAndRecordsIt() throws Exception {
    Path data = dir.resolve("data");
    SynthVid.generate(SynthConfig.defaults().withSeed(5).withTrainVideos(8).withValVideos(0).withTestVideos(1)
        .withFeatureDim(16).withThreads(2), data, SynthVid.Progress.none());
    String[] model = {"--set", "model.video.featureDim=16", "--set", "model.video.width=12", "--set",
        "model.video.numHeads=3", "--set", "model.video.mlpDim=48", "--set", "model.text.width=32", "--set",
        "model.text.ffnDim=64", "--set", "model.text.maxLength=16", "--set", "model.text.init=RANDOM", "--set",
        "model.text.maxPositions=64", "--set", "model.text.depth=1", "--set", "model.text.numHeads=4", "--set",
        "train.batchSize=4", "--set", "train.epochs=1", "--set", "data.features=" + data.resolve("features"),
        "--set", "data.trainMeta=" + data.resolve("train.tsv")};
    Path timm = AuthorsCheckpointTest.golden("timm_vit_tiny.pth");
    Path run = dir.resolve("run");
    CliTest.Result r = CliTest.run(CliTest.concat(new String[] {"train", "--config", "quickstart", "--out",
        run.toString(), "--init-video-from", timm.toString()}, model));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("video tower initialised from").contains("cls_token and blocks 0..1");
    Map<String, String> firstRecord = new LinkedHashMap<>();
    JsonNode rec = Json.MAPPER.readTree(Files.readAllLines(run.resolve("metrics.jsonl")).get(0));
    rec.fields().forEachRemaining(e -> firstRecord.put(e.getKey(), e.getValue().asText()));
    assertThat(firstRecord).containsEntry("initVideoFrom", timm.toAbsolutePath().toString());
    assertThat(firstRecord.get("sha256")).hasSize(64);

    // A ViT of another width is refused before the run folder is created.
    Path wide = dir.resolve("wide");
    CliTest.Result bad = CliTest.run(CliTest.concat(new String[] {"train", "--config", "quickstart", "--out",
        wide.toString(), "--init-video-from", timm.toString()}, CliTest.concat(model, "--set", "model.video.width=24",
        "--set", "model.video.mlpDim=96")));
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.err()).contains("timm_vit_tiny.pth").contains("expected shape [1, 1, 24]");
    assertThat(wide).doesNotExist();
  }
}
