package regionvlp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.InvalidInputFileException;
import regionvlp.run.Json;

/**
 * An authors'-layout {@code .pth} (made by {@code tools/make_pth_fixture.py}: the ORIGINAL ObjectRelation of
 * showlab/DemoVLP at fc5a31d with random weights, saved by torch.save as the authors' trainer saves it, one
 * frame, DataParallel prefix, optimiser state and pickled ConfigParser) loads into our model, and our forward
 * matches the forward of the original after the original's own loader (module. strip, zero inflation to 3 frames,
 * strict load) to relative 1e-5.
 */
public class AuthorsCheckpointTest {
  @TempDir Path tmp;

  public static Path golden(String name) {
    try {
      return Path.of(AuthorsCheckpointTest.class.getResource("/golden/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new AssertionError("golden/" + name + " missing (run tools/make_pth_fixture.py)", e);
    }
  }

  public static JsonNode json(String name) throws Exception {
    try (InputStream in = AuthorsCheckpointTest.class.getResourceAsStream("/golden/" + name)) {
      assertThat(in).as("golden/" + name + " (run tools/make_pth_fixture.py)").isNotNull();
      return Json.MAPPER.readTree(in);
    }
  }

  public static float[] floats(JsonNode n) {
    float[] f = new float[n.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) n.get(i).asDouble();
    }
    return f;
  }

  public static long[] longs(JsonNode n) {
    long[] f = new long[n.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = n.get(i).asLong();
    }
    return f;
  }

  /** Worst relative error |got - want| / max(1, |want|), with where it happened. */
  public static void assertClose(String what, float[] got, float[] want) {
    assertThat(got).as(what + " length").hasSize(want.length);
    double worst = 0;
    int at = -1;
    for (int i = 0; i < got.length; i++) {
      double err = Math.abs(got[i] - want[i]) / Math.max(1.0, Math.abs(want[i]));
      if (err > worst || Double.isNaN(err)) {
        worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
        at = i;
      }
    }
    String where = at < 0 ? "" : String.format(Locale.ROOT, "index %d: ours %.7f, original %.7f", at, got[at],
        want[at]);
    assertThat(worst).as("%s worst relative error at %s", what, where).isLessThan(1e-5);
  }

  static AuthorsCheckpoint.Options fixtureOptions(JsonNode s) {
    return new AuthorsCheckpoint.Options(s.path("loadedFrames").asInt(), s.path("videoHeads").asInt(),
        s.path("textHeads").asInt());
  }

  @Test
  void theAuthorsCheckpointReproducesTheOriginalForward() throws Exception {
    JsonNode g = json("demovlp_tiny.json");
    JsonNode s = g.path("sizes");
    AuthorsCheckpoint.Mapped mapped = AuthorsCheckpoint.read(golden("demovlp_tiny.pth"), fixtureOptions(s));

    ModelConfig c = mapped.config();
    assertThat(c.video().width()).isEqualTo(s.path("videoWidth").asInt());
    assertThat(c.video().depth()).isEqualTo(s.path("videoDepth").asInt());
    assertThat(c.video().featureDim()).isEqualTo(s.path("featureDim").asInt());
    assertThat(c.video().numRegions()).isEqualTo(s.path("regions").asInt());
    assertThat(c.video().maxFrames()).isEqualTo(s.path("loadedFrames").asInt());
    assertThat(c.text().vocabSize()).isEqualTo(s.path("vocab").asInt());
    assertThat(c.text().depth()).isEqualTo(s.path("textDepth").asInt());
    assertThat(c.text().ffnDim()).isEqualTo(s.path("textFfn").asInt());
    assertThat(c.text().maxLength()).isEqualTo(100);
    assertThat(c.embedDim()).isEqualTo(s.path("embedDim").asInt());

    AuthorsCheckpoint.Report r = mapped.report();
    assertThat(r.strippedPrefix()).isTrue();
    assertThat(r.savedFrames()).isEqualTo(1);
    assertThat(r.frames()).isEqualTo(3);
    assertThat(r.skipped()).containsExactlyInAnyOrder("module.object_model.norm.weight",
        "module.object_model.norm.bias", "module.object_model.blocks.0.norm3.weight",
        "module.object_model.blocks.0.norm3.bias", "module.object_model.blocks.1.norm3.weight",
        "module.object_model.blocks.1.norm3.bias");
    assertThat(String.join("\n", r.lines()))
        .contains("inflated from 1 to 3 frames with zeros")
        .contains("skipped 6 tensor(s) the model never uses: object_model.blocks.N.norm3.*, object_model.norm.*")
        .contains("saved at epoch 7")
        .contains("parse_config_dist_multi.ConfigParser");
    // The original's own inflation, read back from its model after loading.
    assertThat(mapped.weights().get("object_model.temporal_embed").values())
        .containsExactly(floats(g.path("temporalEmbedAfterLoad")));

    int videos = s.path("videos").asInt();
    int tokens = s.path("tokens").asInt();
    int frames = s.path("loadedFrames").asInt();
    int regions = s.path("regions").asInt();
    int feat = s.path("featureDim").asInt();
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = mapped.newModel(m)) {
      TextEmbeddings t = model.encodeText(m.create(longs(g.path("inputIds")), new Shape(videos, tokens)),
          m.create(longs(g.path("attentionMask")), new Shape(videos, tokens)));
      assertClose("global text", t.global().toFloatArray(), floats(g.path("globalText")));
      assertClose("local text", t.local().toFloatArray(), floats(g.path("localText")));
      VideoEmbeddings v = model.encodeVideo(
          m.create(floats(g.path("objects")), new Shape(videos, frames, regions, feat + 6)),
          m.create(floats(g.path("objectMask")), new Shape(videos, frames, regions)));
      assertClose("global video", v.global().toFloatArray(), floats(g.path("globalVideo")));
      assertClose("local video", v.local().toFloatArray(), floats(g.path("localVideo")));
      assertThat(v.keyMask().toFloatArray()).containsExactly(floats(g.path("videoKeyMask")));
    }
  }

  @Test
  void headCountsDefaultToWidthOver64AndOtherwiseMustBeGiven() throws Exception {
    // The fixture's towers are 12 wide: no head count can be inferred, and the message says which flag to give.
    assertThatThrownBy(() -> AuthorsCheckpoint.read(golden("demovlp_tiny.pth"), AuthorsCheckpoint.Options.defaults()))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("demovlp_tiny.pth")
        .hasMessageContaining("12 wide")
        .hasMessageContaining("--video-heads");
  }

  @Test
  void withoutAFrameCountTheCheckpointIsInflatedToEight() throws Exception {
    JsonNode s = json("demovlp_tiny.json").path("sizes");
    AuthorsCheckpoint.Mapped mapped = AuthorsCheckpoint.read(golden("demovlp_tiny.pth"),
        new AuthorsCheckpoint.Options(0, s.path("videoHeads").asInt(), s.path("textHeads").asInt()));
    assertThat(mapped.config().video().maxFrames()).isEqualTo(AuthorsCheckpoint.DEFAULT_FRAMES);
    float[] te = mapped.weights().get("object_model.temporal_embed").values();
    int w = s.path("videoWidth").asInt();
    assertThat(te).hasSize(8 * w);
    for (int i = w; i < te.length; i++) {
      assertThat(te[i]).isZero();
    }
    assertThat(java.util.Arrays.copyOf(te, w)).containsExactly(
        java.util.Arrays.copyOf(floats(json("demovlp_tiny.json").path("temporalEmbedAfterLoad")), w));
  }

  @Test
  void missingAndUnexpectedTensorsAreListedByName() throws Exception {
    // The authors' layout with one tensor renamed: a missing and an unexpected name, both reported.
    Path evil = tmp.resolve("renamed.pth");
    byte[] from = "module.txt_proj.1.bias".getBytes();
    byte[] to = "module.txt_proj.2.bias".getBytes();
    java.util.Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
    try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(golden("demovlp_tiny.pth").toFile())) {
      for (java.util.Enumeration<? extends java.util.zip.ZipEntry> en = z.entries(); en.hasMoreElements(); ) {
        java.util.zip.ZipEntry e = en.nextElement();
        byte[] data = z.getInputStream(e).readAllBytes();
        if (e.getName().endsWith("data.pkl")) {
          int i = indexOf(data, from);
          assertThat(i).isPositive();
          System.arraycopy(to, 0, data, i, to.length);
        }
        entries.put(e.getName(), data);
      }
    }
    try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(evil))) {
      for (java.util.Map.Entry<String, byte[]> e : entries.entrySet()) {
        out.putNextEntry(new java.util.zip.ZipEntry(e.getKey()));
        out.write(e.getValue());
        out.closeEntry();
      }
    }
    JsonNode s = json("demovlp_tiny.json").path("sizes");
    assertThatThrownBy(() -> AuthorsCheckpoint.read(evil, fixtureOptions(s)))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("renamed.pth")
        .hasMessageContaining("missing 1 [txt_proj.1.bias]")
        .hasMessageContaining("unexpected 1 [module.txt_proj.2.bias]");
  }

  @Test
  void aFileThatIsNotADemoVlpCheckpointSaysSo() throws Exception {
    assertThatThrownBy(() -> AuthorsCheckpoint.read(golden("timm_vit_tiny.pth"), AuthorsCheckpoint.Options.defaults()))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("timm_vit_tiny.pth")
        .hasMessageContaining("no tensor 'object_model.cls_token'")
        .hasMessageContaining("not a DemoVLP ObjectRelation checkpoint");
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
