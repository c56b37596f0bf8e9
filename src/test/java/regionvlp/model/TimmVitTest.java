package regionvlp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Safetensors;
import regionvlp.data.StateDict;

/**
 * {@code --init-video-from}: a synthetic timm ViT state dict ({@code tools/make_pth_fixture.py}, written with
 * torch.save and np.savez) initialises exactly the parameters the ORIGINAL {@code load_clip_pt_weight} loads
 * into the ObjectTransformer, with the values it loads ({@code timm_vit_tiny.json}, read back from the original
 * model after loading).
 */
class TimmVitTest {
  @TempDir Path tmp;

  static ModelConfig config(int depth, int width) {
    return new ModelConfig(new VideoEncoderConfig(10, width, depth, 3, 4 * width, 2, 5, 0.02),
        new TextEncoderConfig(10, 4, 1, 1, 4, 4, 3, 0.02, TextEncoderConfig.Init.RANDOM, "", 1e-12,
            TextEncoderConfig.Activation.GELU), 7);
  }

  /** The same state dict as safetensors, written by our writer from the torch file's values. */
  private Path safetensorsCopy() {
    Path out = tmp.resolve("timm_vit_tiny.safetensors");
    try (StateDict sd = StateDict.open(AuthorsCheckpointTest.golden("timm_vit_tiny.pth"))) {
      Map<String, Safetensors.Tensor> t = new LinkedHashMap<>();
      for (String n : sd.names()) {
        t.put(n, sd.get(n));
      }
      Files.write(out, Safetensors.toBytes(t, Map.of()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"timm_vit_tiny.pth", "timm_vit_tiny.npz", "safetensors"})
  void loadsWhatTheOriginalLoadsWithItsValues(String source) throws Exception {
    Path file = source.equals("safetensors") ? safetensorsCopy() : AuthorsCheckpointTest.golden(source);
    JsonNode g = AuthorsCheckpointTest.json("timm_vit_tiny.json");
    ModelConfig cfg = config(g.path("sizes").path("depth").asInt(), g.path("sizes").path("width").asInt());
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(cfg, m, 11);
        DualEncoder untouched = new DualEncoder(cfg, m, 11)) {
      TimmVit.Report r = TimmVit.initVideo(model.params(), cfg.video(), file);

      // The original also loads ViT's final 'norm', which it never calls and we do not have (G7).
      Map<String, float[]> expected = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = g.path("state").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getKey().startsWith("norm.")) {
          expected.put(VideoEncoder.PREFIX + e.getKey(), AuthorsCheckpointTest.floats(e.getValue().path("values")));
        }
      }
      assertThat(r.loaded()).containsExactlyInAnyOrderElementsOf(expected.keySet());
      for (Map.Entry<String, float[]> e : expected.entrySet()) {
        assertThat(model.params().get(e.getKey()).toFloatArray()).as(e.getKey()).containsExactly(e.getValue());
      }
      // Everything else keeps its own initialisation.
      for (String n : model.params().all().keySet()) {
        if (!expected.containsKey(n)) {
          assertThat(model.params().get(n).toFloatArray()).as(n)
              .containsExactly(untouched.params().get(n).toFloatArray());
        }
      }
      assertThat(r.ignored()).containsExactlyInAnyOrder("pos_embed", "patch_embed.proj.weight",
          "patch_embed.proj.bias", "norm.weight", "norm.bias", "head.weight", "head.bias");
      assertThat(r.summary()).contains("cls_token and blocks 0..1 of the file's 2");
    }
  }

  @Test
  void aDeeperModelKeepsItsOwnInitBeyondTheFileAndAShallowerOneTakesTheFirstBlocks() throws Exception {
    Path file = AuthorsCheckpointTest.golden("timm_vit_tiny.pth");
    try (NDManager m = NDManager.newBaseManager()) {
      ModelConfig deep = config(3, 12);
      try (DualEncoder model = new DualEncoder(deep, m, 4); DualEncoder ref = new DualEncoder(deep, m, 4)) {
        TimmVit.Report r = TimmVit.initVideo(model.params(), deep.video(), file);
        assertThat(r.blocksKept()).isEqualTo(1);
        assertThat(r.summary()).contains("1 of our blocks are deeper than the file");
        String b2 = VideoEncoder.PREFIX + "blocks.2.attn.qkv.weight";
        assertThat(model.params().get(b2).toFloatArray()).containsExactly(ref.params().get(b2).toFloatArray());
      }
      ModelConfig shallow = config(1, 12);
      try (DualEncoder model = new DualEncoder(shallow, m, 4)) {
        TimmVit.Report r = TimmVit.initVideo(model.params(), shallow.video(), file);
        assertThat(r.blocksLoaded()).isEqualTo(1);
        assertThat(r.ignored()).contains("blocks.1.attn.qkv.weight");
      }
    }
  }

  @Test
  void aWidthMismatchIsAnErrorAndChangesNothing() throws Exception {
    Path file = AuthorsCheckpointTest.golden("timm_vit_tiny.pth");
    ModelConfig wide = config(2, 15);
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(wide, m, 4);
        DualEncoder ref = new DualEncoder(wide, m, 4)) {
      assertThatThrownBy(() -> TimmVit.initVideo(model.params(), wide.video(), file))
          .isInstanceOf(InvalidInputFileException.class)
          .hasMessageContaining("timm_vit_tiny.pth")
          .hasMessageContaining("tensor 'cls_token': expected shape [1, 1, 15]")
          .hasMessageContaining("found [1, 1, 12]");
      String n = VideoEncoder.PREFIX + "cls_token";
      assertThat(model.params().get(n).toFloatArray()).containsExactly(ref.params().get(n).toFloatArray());
    }
  }

  @Test
  void theAuthorsCheckpointIsNotAViT() {
    ModelConfig cfg = config(2, 12);
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(cfg, m, 4)) {
      assertThatThrownBy(() -> TimmVit.initVideo(model.params(), cfg.video(),
          AuthorsCheckpointTest.golden("demovlp_tiny.pth")))
          .isInstanceOf(InvalidInputFileException.class)
          .hasMessageContaining("expected a timm VisionTransformer state dict");
    }
  }
}
