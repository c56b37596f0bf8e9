package regionvlp.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Safetensors;
import regionvlp.text.CaptionTokenizer;
import regionvlp.text.TokenizedCaptions;

/**
 * Hugging Face folders made by tools/make_hf_fixture.py (a tiny random BERT with the "bert." prefix,
 * gelu_new and eps 1e-7; a tiny random DistilBERT stored in float16): the tokenizer.json gives the ids the
 * script's WordPiece reference gives, and the loaded tower reproduces the script's plain-torch
 * re-implementation of the Hugging Face forward (golden/hf_text.json) to rel 1e-5 / abs 1e-5.
 */
public class HfTextCheckpointTest {
  static final ObjectMapper MAPPER = new ObjectMapper();

  static JsonNode golden() throws IOException {
    try (InputStream in = HfTextCheckpointTest.class.getResourceAsStream("/golden/hf_text.json")) {
      return MAPPER.readTree(in);
    }
  }

  /** A fixture folder, resolved from the test class path. */
  public static Path fixture(String name) {
    try {
      return Path.of(HfTextCheckpointTest.class.getResource("/fixtures/hf/" + name + "/config.json").toURI())
          .getParent();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<String> sentences(JsonNode g) {
    List<String> out = new ArrayList<>();
    g.path("sentences").forEach(s -> out.add(s.asText()));
    return out;
  }

  static long[] flatLongs(JsonNode rows) {
    List<Long> v = new ArrayList<>();
    rows.forEach(r -> r.forEach(x -> v.add(x.asLong())));
    return v.stream().mapToLong(Long::longValue).toArray();
  }

  static float[] floats(JsonNode a) {
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) a.get(i).asDouble();
    }
    return out;
  }

  /** |a - b| <= abs + rel * |b| everywhere, reporting the worst element. */
  static void assertClose(float[] ours, float[] ref, double rel, double abs, String what) {
    assertThat(ours).as(what + " length").hasSameSizeAs(ref);
    int worst = -1;
    double worstExcess = 0;
    for (int i = 0; i < ours.length; i++) {
      double excess = Math.abs(ours[i] - ref[i]) - (abs + rel * Math.abs(ref[i]));
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
    assertThat(worstExcess).as("%s: worst element %d, ours %s vs reference %s", what, worst, ours[worst],
        ref[worst]).isLessThanOrEqualTo(0.0);
  }

  @Test
  void configJsonBecomesOurTowerConfig() {
    HfTextCheckpoint bert = HfTextCheckpoint.load(fixture("bert-tiny"), 12);
    assertThat(bert.layout()).isEqualTo(HfTextCheckpoint.Layout.BERT);
    TextEncoderConfig b = bert.config();
    assertThat(List.of(b.vocabSize(), b.width(), b.depth(), b.numHeads(), b.ffnDim(), b.maxPositions(),
        b.maxLength())).containsExactly(46, 32, 2, 4, 48, 20, 12);
    assertThat(b.layerNormEps()).isEqualTo(1e-7);
    assertThat(b.activation()).isEqualTo(TextEncoderConfig.Activation.GELU_TANH);
    assertThat(b.init()).isEqualTo(TextEncoderConfig.Init.HF);
    assertThat(b.hfPath()).isEqualTo(fixture("bert-tiny").toAbsolutePath().normalize().toString());

    HfTextCheckpoint distil = HfTextCheckpoint.load(fixture("distilbert-tiny"), 12);
    assertThat(distil.layout()).isEqualTo(HfTextCheckpoint.Layout.DISTILBERT);
    TextEncoderConfig d = distil.config();
    assertThat(List.of(d.width(), d.depth(), d.numHeads(), d.ffnDim())).containsExactly(32, 2, 4, 40);
    assertThat(d.layerNormEps()).isEqualTo(1e-12);
    assertThat(d.activation()).isEqualTo(TextEncoderConfig.Activation.GELU);
  }

  @Test
  void bertAndDistilBertFoldersReproduceTheReferenceForward() throws IOException {
    JsonNode g = golden();
    int len = g.path("maxLength").asInt();
    int n = g.path("sentences").size();
    long[] refIds = flatLongs(g.path("ids"));
    long[] refMask = flatLongs(g.path("mask"));
    for (String name : new String[] {"bert-tiny", "distilbert-tiny"}) {
      HfTextCheckpoint ckpt = HfTextCheckpoint.load(fixture(name), len);
      TokenizedCaptions tok;
      try (CaptionTokenizer t = ckpt.tokenizer(len)) {
        tok = t.encode(sentences(g));
      }
      assertThat(tok.ids()).as(name + " token ids").containsExactly(refIds);
      assertThat(tok.mask()).as(name + " attention mask").containsExactly(refMask);
      float[] ours;
      try (NDManager m = NDManager.newBaseManager(); Params params = new Params(m, 1)) {
        TextEncoder tower = TextEncoder.transformerOnly(ckpt.config(), params);
        ckpt.loadInto(params, ckpt.config());
        ours = tower.hidden(m.create(tok.ids(), new Shape(n, len)), m.create(tok.mask(), new Shape(n, len)))
            .toFloatArray();
      }
      float[] ref = floats(g.path("models").path(name).path("lastHiddenState"));
      assertClose(ours, ref, 1e-5, 1e-5, name + " last_hidden_state");
      // Not vacuous: the two models, and two sentences, differ.
      assertThat(Math.abs(ref[0] - ref[len * 32])).isGreaterThan(1e-3f);
    }
  }

  @Test
  void aShallowerTowerTakesTheFirstLayers() {
    HfTextCheckpoint ckpt = HfTextCheckpoint.load(fixture("bert-tiny"), 12);
    TextEncoderConfig one = ckpt.config().withDepth(1);
    Map<String, Safetensors.Tensor> all = ckpt.tensors(ckpt.config());
    Map<String, Safetensors.Tensor> first = ckpt.tensors(one);
    assertThat(all).containsKey("text_model.transformer.layer.1.ffn.lin2.bias");
    assertThat(first).doesNotContainKey("text_model.transformer.layer.1.ffn.lin2.bias");
    assertThat(first.get("text_model.transformer.layer.0.ffn.lin2.bias").values())
        .containsExactly(all.get("text_model.transformer.layer.0.ffn.lin2.bias").values());
    assertThatThrownBy(() -> ckpt.loadInto(null, ckpt.config().withDepth(3)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model.text.depth<=2");
  }

  /** Copies the DistilBERT fixture with its tensors edited. */
  static Path editedDistil(Path to, java.util.function.Consumer<Map<String, Safetensors.Tensor>> edit)
      throws IOException {
    Path from = fixture("distilbert-tiny");
    Files.createDirectories(to);
    Files.copy(from.resolve("config.json"), to.resolve("config.json"));
    Files.copy(from.resolve("tokenizer.json"), to.resolve("tokenizer.json"));
    Map<String, Safetensors.Tensor> t = new LinkedHashMap<>(Safetensors.read(from.resolve("model.safetensors"))
        .tensors());
    edit.accept(t);
    Files.write(to.resolve("model.safetensors"), Safetensors.toBytes(t, Map.of()));
    return to;
  }

  @Test
  void aMissingTensorIsNamedWithItsFile(@TempDir Path dir) throws IOException {
    Path d = editedDistil(dir.resolve("missing"), t -> t.remove("transformer.layer.1.ffn.lin2.bias"));
    assertThatThrownBy(() -> HfTextCheckpoint.load(d, 12))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(d.resolve("model.safetensors").toString())
        .hasMessageContaining("missing tensor 'transformer.layer.1.ffn.lin2.bias'");
  }

  @Test
  void aWrongShapeIsNamedWithExpectedAndFound(@TempDir Path dir) throws IOException {
    Path d = editedDistil(dir.resolve("shape"), t -> t.put("transformer.layer.0.attention.q_lin.weight",
        new Safetensors.Tensor(new long[] {32, 16}, new float[32 * 16])));
    assertThatThrownBy(() -> HfTextCheckpoint.load(d, 12))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(d.resolve("model.safetensors").toString())
        .hasMessageContaining("tensor 'transformer.layer.0.attention.q_lin.weight': expected shape [32, 32]")
        .hasMessageContaining("found [32, 16]");
  }

  @Test
  void configAndFolderProblemsAreNamed(@TempDir Path dir) throws IOException {
    Path d = editedDistil(dir.resolve("roberta"), t -> { });
    Files.writeString(d.resolve("config.json"), "{\"model_type\": \"roberta\", \"vocab_size\": 46}");
    assertThatThrownBy(() -> HfTextCheckpoint.load(d, 12))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(d.resolve("config.json").toString())
        .hasMessageContaining("model_type: expected \"bert\" or \"distilbert\", found \"roberta\"");

    Path act = editedDistil(dir.resolve("act"), t -> { });
    String cfg = Files.readString(act.resolve("config.json")).replace("\"activation\": \"gelu\"",
        "\"activation\": \"swish\"");
    Files.writeString(act.resolve("config.json"), cfg);
    assertThatThrownBy(() -> HfTextCheckpoint.load(act, 12))
        .hasMessageContaining("activation: expected one of gelu").hasMessageContaining("found \"swish\"");

    Path noTok = editedDistil(dir.resolve("notok"), t -> { });
    Files.delete(noTok.resolve("tokenizer.json"));
    assertThatThrownBy(() -> HfTextCheckpoint.load(noTok, 12))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(noTok.resolve("tokenizer.json").toString());
  }

  @Test
  void aTokenizerWithIdsBeyondTheEmbeddingTableIsRefused(@TempDir Path dir) throws IOException {
    Path d = editedDistil(dir.resolve("vocab"), t -> { });
    String cfg = Files.readString(d.resolve("config.json"));
    // Shrink the model's vocabulary (and its table) below the tokenizer's 46 tokens.
    Files.writeString(d.resolve("config.json"), cfg.replace("\"vocab_size\": 46", "\"vocab_size\": 40"));
    Map<String, Safetensors.Tensor> t = new LinkedHashMap<>(Safetensors.read(d.resolve("model.safetensors"))
        .tensors());
    float[] word = t.get("embeddings.word_embeddings.weight").values();
    t.put("embeddings.word_embeddings.weight",
        new Safetensors.Tensor(new long[] {40, 32}, java.util.Arrays.copyOf(word, 40 * 32)));
    Files.write(d.resolve("model.safetensors"), Safetensors.toBytes(t, Map.of()));
    HfTextCheckpoint ckpt = HfTextCheckpoint.load(d, 12);
    assertThatThrownBy(() -> ckpt.tokenizer(12))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("produces ids up to 45, but config.json has vocab_size 40");
  }
}
