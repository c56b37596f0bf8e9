package regionvlp.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import regionvlp.run.Json;
import regionvlp.text.TokenizedCaptions;

/**
 * The text tower against the ORIGINAL DemoVLP text path (showlab/DemoVLP model/model.py at fc5a31d:
 * ObjectRelation builds {@code AutoModel.from_pretrained} and {@code txt_proj}, compute_text projects every
 * token), run by {@code tools/make_text_encoder_fixture.py} under Debian's python3-torch with a plain-torch
 * DistilBertModel of transformers 4.10.0 (tools/stubs/transformers) at reduced sizes: 3 captions of 7 slots
 * with padding, width 16, 2 heads, 2 layers, FFN 20, vocabulary 50, 9 positions, projection 12; every
 * parameter random. Parameters are loaded by their original state-dict names, so this also checks the naming
 * that checkpoint loading relies on.
 */
class TextEncoderGoldenTest {
  private static final double TOL = 1e-5;

  static float[] floats(JsonNode n) {
    float[] f = new float[n.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) n.get(i).asDouble();
    }
    return f;
  }

  static long[] longs(JsonNode n) {
    long[] l = new long[n.size()];
    for (int i = 0; i < l.length; i++) {
      l[i] = n.get(i).asLong();
    }
    return l;
  }

  /** Fails with the worst element, as [i, j, k] in {@code shape}, when the relative error reaches TOL. */
  static void assertClose(float[] got, float[] want, long[] shape, String what) {
    assertThat(got).as(what + " size").hasSameSizeAs(want);
    double worst = -1;
    int at = 0;
    for (int i = 0; i < got.length; i++) {
      double err = Math.abs(got[i] - want[i]) / Math.max(1.0, Math.abs(want[i]));
      if (!(err <= worst)) { // NaN counts as worst
        worst = err;
        at = i;
      }
    }
    StringBuilder index = new StringBuilder();
    for (int d = shape.length - 1, rest = at; d >= 0; d--) {
      index.insert(0, (d > 0 ? ", " : "") + rest % shape[d]);
      rest /= (int) shape[d];
    }
    assertThat(worst).as("%s: worst relative error %.3g at [%s]: ours %.7f, original %.7f",
        what, worst, index, got[at], want[at]).isLessThan(TOL);
  }

  @Test
  void hiddenStatesAndProjectionsMatchTheOriginalTextPath() throws Exception {
    JsonNode g;
    try (InputStream in = getClass().getResourceAsStream("/golden/text_encoder.json")) {
      assertThat(in).as("golden/text_encoder.json (run tools/make_text_encoder_fixture.py)").isNotNull();
      g = Json.MAPPER.readTree(in);
    }
    JsonNode s = g.path("sizes");
    int width = s.path("width").asInt();
    int embed = s.path("embedDim").asInt();
    int captions = s.path("captions").asInt();
    int slots = s.path("slots").asInt();
    TextEncoderConfig tc = new TextEncoderConfig(s.path("vocab").asInt(), width, s.path("depth").asInt(),
        s.path("heads").asInt(), s.path("ffnDim").asInt(), s.path("maxPositions").asInt(), slots, 0.02,
        TextEncoderConfig.Init.RANDOM, "", 1e-12, TextEncoderConfig.Activation.GELU); // DistilBERT's
    ModelConfig cfg = new ModelConfig(new VideoEncoderConfig(4, 4, 1, 1, 4, 1, 1, 0.02), tc, embed);
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(cfg, m, 3)) {
      Set<String> loaded = new HashSet<>();
      Iterator<Map.Entry<String, JsonNode>> it = g.path("state").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        String name = e.getKey();
        assertThat(model.params().all()).as("original parameter %s", name).containsKey(name);
        model.params().assign(name, floats(e.getValue().path("values")),
            new Shape(longs(e.getValue().path("shape"))));
        loaded.add(name);
      }
      Set<String> ours = new HashSet<>(model.params().all().keySet());
      ours.removeIf(n -> !n.startsWith(TextEncoder.PREFIX) && !n.startsWith(TextEncoder.HEAD));
      assertThat(loaded).as("every text parameter of ours comes from the original").isEqualTo(ours);

      var ids = m.create(longs(g.path("ids")), new Shape(captions, slots));
      var mask = m.create(longs(g.path("attentionMask")), new Shape(captions, slots));
      assertClose(model.textHidden(ids, mask).toFloatArray(), floats(g.path("lastHiddenState")),
          new long[] {captions, slots, width}, "last_hidden_state");
      TextEmbeddings t = model.encodeText(ids, mask);
      assertClose(t.global().toFloatArray(), floats(g.path("global")), new long[] {captions, embed},
          "global ([CLS] after txt_proj)");
      assertClose(t.local().toFloatArray(), floats(g.path("local")), new long[] {captions, slots - 1, embed},
          "local (tokens 1.. after txt_proj)");
      assertThat(t.keyMask().toFloatArray()).as("word mask").containsExactly(floats(g.path("wordMask")));

      // Search encodes global-only queries without their padding columns (TokenizedCaptions.trimmed): the
      // original's global outputs, computed at full padded length, must come out of the trimmed input too.
      // Captions 1 and 2 of the fixture (4 and 2 real tokens of 7) on their own; caption 0 fills all 7 slots.
      long[] allIds = longs(g.path("ids"));
      long[] allMask = longs(g.path("attentionMask"));
      TokenizedCaptions padded = new TokenizedCaptions(captions - 1, slots,
          java.util.Arrays.copyOfRange(allIds, slots, captions * slots),
          java.util.Arrays.copyOfRange(allMask, slots, captions * slots));
      TokenizedCaptions trimmed = padded.trimmed();
      assertThat(trimmed.length()).as("longest of captions 1 and 2").isEqualTo(4);
      TextEmbeddings tt = model.encodeText(m.create(trimmed.ids(), new Shape(captions - 1, 4)),
          m.create(trimmed.mask(), new Shape(captions - 1, 4)));
      float[] want = floats(g.path("global"));
      assertClose(tt.global().toFloatArray(), java.util.Arrays.copyOfRange(want, embed, want.length),
          new long[] {captions - 1, embed}, "global of captions 1-2 from their trimmed tokens");
    }
  }
}
