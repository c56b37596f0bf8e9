package regionvlp.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.model.DualEncoder;
import regionvlp.model.PretrainedText;
import regionvlp.model.TextEncoderConfig;
import regionvlp.text.CaptionTokenizer;
import regionvlp.text.TokenizedCaptions;

/**
 * {@code model.text.init=HF}: the config takes the tower's sizes from the folder, a fresh model starts from
 * the folder's weights (checked against the reference forward of tools/make_hf_fixture.py), and the tokenizer
 * used for training and evaluation is the folder's.
 */
class HfTextInitTest {
  static Path bertTiny() throws Exception {
    return Path.of(HfTextInitTest.class.getResource("/fixtures/hf/bert-tiny/config.json").toURI()).getParent();
  }

  static List<String> hf(String... more) throws Exception {
    List<String> o = new ArrayList<>(List.of("model.text.init=HF", "model.text.hfPath=" + bertTiny(),
        "model.text.maxLength=12"));
    o.addAll(List.of(more));
    return o;
  }

  @Test
  void theFolderDecidesTheTowerSizes() throws Exception {
    TextEncoderConfig t = ConfigLoader.load("quickstart", hf()).model().text();
    assertThat(List.of(t.vocabSize(), t.width(), t.depth(), t.numHeads(), t.ffnDim(), t.maxPositions(),
        t.maxLength())).containsExactly(46, 32, 2, 4, 48, 20, 12);
    assertThat(t.layerNormEps()).isEqualTo(1e-7);
    assertThat(t.activation()).isEqualTo(TextEncoderConfig.Activation.GELU_TANH);
    assertThat(Path.of(t.hfPath())).isAbsolute();

    assertThat(ConfigLoader.load("quickstart", hf("model.text.depth=1")).model().text().depth()).isEqualTo(1);
    assertThatThrownBy(() -> ConfigLoader.load("quickstart", hf("model.text.depth=3")))
        .hasMessageContaining("model.text.depth=3 exceeds the 2 layers");
    assertThatThrownBy(() -> ConfigLoader.load("quickstart", hf("model.text.width=64")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model.text.width=64 conflicts with")
        .hasMessageContaining("config.json (32)");
    assertThatThrownBy(() -> ConfigLoader.load("quickstart", List.of("model.text.init=HF")))
        .hasMessageContaining("model.text.init=HF needs model.text.hfPath");
    assertThatThrownBy(() -> ConfigLoader.load("quickstart", List.of("model.text.hfPath=/x")))
        .hasMessageContaining("model.text.hfPath is set (/x) but model.text.init is MINILM");
  }

  @Test
  void aFreshModelStartsFromTheFolderAndTokenizesWithItsVocabulary(@TempDir Path dir) throws Exception {
    ExperimentConfig cfg = ConfigLoader.load("quickstart", hf());
    JsonNode g;
    try (InputStream in = getClass().getResourceAsStream("/golden/hf_text.json")) {
      g = Json.MAPPER.readTree(in);
    }
    List<String> sentences = new ArrayList<>();
    g.path("sentences").forEach(s -> sentences.add(s.asText()));
    TokenizedCaptions tok;
    try (CaptionTokenizer t = PretrainedText.tokenizer(cfg.model().text())) {
      tok = t.encode(sentences);
    }
    assertThat(tok.ids()[1]).as("first word of sentence 0 in the folder's vocabulary").isEqualTo(
        g.path("ids").get(0).get(1).asLong());
    int n = sentences.size();
    JsonNode ref = g.path("models").path("bert-tiny").path("lastHiddenState");
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = Training.initialModel(cfg, m)) {
      float[] h = model.textHidden(m.create(tok.ids(), new Shape(n, 12)), m.create(tok.mask(), new Shape(n, 12)))
          .toFloatArray();
      double worst = 0;
      for (int i = 0; i < h.length; i++) {
        worst = Math.max(worst, Math.abs(h[i] - ref.get(i).asDouble()) - 1e-5 * Math.abs(ref.get(i).asDouble()));
      }
      assertThat(worst).as("max excess over rel 1e-5").isLessThanOrEqualTo(1e-5);

      // The checkpoint keeps the HF config, so it rebuilds the same tower and finds the same tokenizer.
      Path ckpt = dir.resolve("ckpt");
      Checkpoints.save(ckpt, model, cfg, Provenance.capture(0, "{}"));
      Checkpoints.Loaded back = Checkpoints.load(ckpt, m);
      try (DualEncoder b = back.model()) {
        assertThat(back.config().model().text()).isEqualTo(cfg.model().text());
        assertThat(b.textHidden(m.create(tok.ids(), new Shape(n, 12)), m.create(tok.mask(), new Shape(n, 12)))
            .toFloatArray()).containsExactly(h);
      }
    }
  }

  @Test
  void configsSavedBeforeTheHfKeysStillLoad() {
    ExperimentConfig c = ConfigLoader.load("quickstart", List.of());
    ObjectNode tree = Json.MAPPER.valueToTree(c);
    ObjectNode text = (ObjectNode) tree.path("model").path("text");
    text.remove(List.of("hfPath", "layerNormEps", "activation"));
    ExperimentConfig old = ConfigLoader.fromTree(tree, "old config.json");
    assertThat(old).isEqualTo(c);
    assertThat(tree.path("model").path("text").has("activation")).as("caller's tree untouched").isFalse();
  }
}
