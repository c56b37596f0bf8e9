package regionvlp.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import regionvlp.text.CaptionTokenizer;
import regionvlp.text.TokenizedCaptions;

/**
 * The text tower built from the MiniLM jar's ONNX initializers (BERT names mapped onto our DistilBERT
 * layout, token-type row folded into the positions) against ONNX Runtime running the same ONNX file: an
 * independent implementation of the same network. The inputs are the varied sentences of
 * fixtures/minilm_sentences.txt (punctuation, digits, accents, CJK, Cyrillic, Greek, emoji, odd whitespace,
 * literal special tokens, and sentences longer than 128 word pieces), whose tokenisation must equal the
 * plain-Python BERT tokenizer's (golden/minilm_tokens.json, tools/make_minilm_token_fixture.py).
 */
class MiniLmTextTowerTest {
  private static final int HIDDEN = 384;
  private static final int LEN = 128;
  private static final int CHUNK = 16;

  private static JsonNode golden;
  private static List<String> sentences;

  @BeforeAll
  static void load() throws Exception {
    try (InputStream in = MiniLmTextTowerTest.class.getResourceAsStream("/golden/minilm_tokens.json")) {
      golden = new ObjectMapper().readTree(in);
    }
    try (InputStream in = MiniLmTextTowerTest.class.getResourceAsStream("/fixtures/minilm_sentences.txt")) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      sentences = List.of(text.substring(0, text.length() - 1).split("\n", -1));
    }
    List<String> recorded = new ArrayList<>();
    golden.get("sentences").forEach(s -> recorded.add(s.asText()));
    assertThat(recorded).as("golden/minilm_tokens.json is stale: rerun tools/make_minilm_token_fixture.py")
        .isEqualTo(sentences);
    assertThat(golden.get("max_length").asInt()).isEqualTo(LEN);
  }

  @Test
  void fixtureIsVaried() {
    assertThat(sentences).hasSizeGreaterThanOrEqualTo(50);
    int truncated = 0;
    for (JsonNode n : golden.get("word_pieces")) {
      truncated += n.asInt() > LEN - 2 ? 1 : 0;
    }
    assertThat(truncated).as("sentences longer than %d word pieces", LEN - 2).isGreaterThanOrEqualTo(3);
    String all = String.join(" ", sentences);
    assertThat(all).contains("café", "naïve", "Zürich", "Ångström", "東京", "3:45", "1,000", "🎸");
  }

  @Test
  void tokenisationMatchesPlainPythonBertTokenizer() {
    TokenizedCaptions tok;
    try (CaptionTokenizer t = CaptionTokenizer.bundled(LEN)) {
      tok = t.encode(sentences);
    }
    for (int i = 0; i < sentences.size(); i++) {
      long[] ids = Arrays.copyOfRange(tok.ids(), i * LEN, (i + 1) * LEN);
      long[] mask = Arrays.copyOfRange(tok.mask(), i * LEN, (i + 1) * LEN);
      long[] wantIds = longs(golden.get("ids").get(i));
      long[] wantMask = longs(golden.get("mask").get(i));
      int at = Arrays.mismatch(ids, wantIds);
      assertThat(at).as("sentence %d %s: first differing token at %d: ours %s, reference %s (%s)", i,
          sentences.get(i), at, at < 0 ? "" : ids[at], at < 0 ? "" : wantIds[at],
          at < 0 ? "" : golden.get("tokens").get(i).get(Math.min(at, golden.get("tokens").get(i).size() - 1)))
          .isEqualTo(-1);
      assertThat(mask).as("mask of sentence %d %s", i, sentences.get(i)).isEqualTo(wantMask);
    }
  }

  @Test
  void lastHiddenStateMatchesOnnxRuntimeOnAllSentences() throws Exception {
    TokenizedCaptions tok;
    try (CaptionTokenizer t = CaptionTokenizer.bundled(LEN)) {
      tok = t.encode(sentences);
    }
    int n = sentences.size();
    float[] ours = ours(tok, LEN);
    float[] reference = onnxRuntime(tok, LEN);
    assertThat(ours).hasSameSizeAs(reference);
    int worstValid = -1;
    int worstPad = -1;
    for (int i = 0; i < ours.length; i++) {
      boolean valid = tok.mask()[i / HIDDEN] == 1;
      int w = valid ? worstValid : worstPad;
      if (w < 0 || Math.abs(ours[i] - reference[i]) > Math.abs(ours[w] - reference[w])) {
        if (valid) {
          worstValid = i;
        } else {
          worstPad = i;
        }
      }
    }
    System.out.printf(Locale.ROOT, "MiniLM vs ONNX Runtime, %d sentences x %d tokens: max |diff| %.3g on "
            + "real tokens (%s), %.3g on padding (%s)%n", n, LEN,
        Math.abs(ours[worstValid] - reference[worstValid]), where(worstValid),
        Math.abs(ours[worstPad] - reference[worstPad]), where(worstPad));
    assertThat(Math.abs(ours[worstValid] - reference[worstValid]))
        .as("max |ours - onnxruntime| on real tokens at %s: %f vs %f", where(worstValid), ours[worstValid],
            reference[worstValid])
        .isLessThanOrEqualTo(1e-4f);
    // Padded positions feed nothing downstream (every consumer masks them), and their states reach |x| > 3,
    // where the fused addmm and ONNX Runtime's MatMul+Add round differently: bounded relative to the value.
    assertThat(Math.abs(ours[worstPad] - reference[worstPad]))
        .as("max |ours - onnxruntime| on padding at %s: %f vs %f", where(worstPad), ours[worstPad],
            reference[worstPad])
        .isLessThanOrEqualTo(1e-4f * Math.max(1f, Math.abs(reference[worstPad])));
    // The sentences must differ from each other, so the comparison above is not vacuous.
    assertThat(Math.abs(reference[0] - reference[LEN * HIDDEN])).isGreaterThan(0f);
  }

  @Test
  void lastHiddenStateMatchesOnnxRuntimeAtShortLength() throws Exception {
    int len = 16;
    List<String> captions = List.of("a red dog runs to the left while a car stays still",
        "man playing guitar", "the small blue cup moves up and the big green ball grows bigger near a tree");
    TokenizedCaptions tok;
    try (CaptionTokenizer t = CaptionTokenizer.bundled(len)) {
      tok = t.encode(captions);
    }
    float[] ours = ours(tok, len);
    float[] reference = onnxRuntime(tok, len);
    int worst = 0;
    for (int i = 0; i < ours.length; i++) {
      if (Math.abs(ours[i] - reference[i]) > Math.abs(ours[worst] - reference[worst])) {
        worst = i;
      }
    }
    assertThat(Math.abs(ours[worst] - reference[worst]))
        .as("max |ours - onnxruntime| at caption %d token %d dim %d: %f vs %f", worst / (len * HIDDEN),
            (worst / HIDDEN) % len, worst % HIDDEN, ours[worst], reference[worst])
        .isLessThan(1e-4f);
  }

  private static String where(int flat) {
    int s = flat / (LEN * HIDDEN);
    return String.format(Locale.ROOT, "sentence %d token %d dim %d: \"%.60s\"", s, (flat / HIDDEN) % LEN,
        flat % HIDDEN, sentences.get(s));
  }

  /** Our tower's last hidden state, [n * len * 384], run in chunks. */
  private static float[] ours(TokenizedCaptions tok, int len) {
    int n = tok.count();
    float[] out = new float[n * len * HIDDEN];
    ModelConfig cfg = new ModelConfig(new VideoEncoderConfig(8, 16, 1, 2, 16, 1, 5, 0.02),
        PretrainedText.miniLmConfig(len), 256);
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(cfg, m, 1)) {
      PretrainedText.loadMiniLm(model.params(), cfg.text());
      for (int from = 0; from < n; from += CHUNK) {
        int b = Math.min(CHUNK, n - from);
        try (NDManager batch = m.newSubManager()) {
          long[] ids = Arrays.copyOfRange(tok.ids(), from * len, (from + b) * len);
          long[] mask = Arrays.copyOfRange(tok.mask(), from * len, (from + b) * len);
          float[] h = model.textHidden(batch.create(ids, new Shape(b, len)), batch.create(mask, new Shape(b, len)))
              .toFloatArray();
          System.arraycopy(h, 0, out, from * len * HIDDEN, h.length);
        }
      }
    }
    return out;
  }

  /** ONNX Runtime on the jar's all-MiniLM-L6-v2.onnx, [n * len * 384], run in chunks. */
  private static float[] onnxRuntime(TokenizedCaptions tok, int len) throws Exception {
    int n = tok.count();
    float[] out = new float[n * len * HIDDEN];
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] onnx;
    try (InputStream in = MiniLmTextTowerTest.class.getClassLoader()
        .getResourceAsStream(PretrainedText.MINILM_RESOURCE)) {
      onnx = in.readAllBytes();
    }
    try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions())) {
      for (int from = 0; from < n; from += CHUNK) {
        int b = Math.min(CHUNK, n - from);
        long[] shape = {b, len};
        try (OnnxTensor ids = OnnxTensor.createTensor(env,
                LongBuffer.wrap(Arrays.copyOfRange(tok.ids(), from * len, (from + b) * len)), shape);
            OnnxTensor mask = OnnxTensor.createTensor(env,
                LongBuffer.wrap(Arrays.copyOfRange(tok.mask(), from * len, (from + b) * len)), shape);
            OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[b * len]), shape);
            OrtSession.Result r = s.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
          float[][][] h = (float[][][]) r.get(0).getValue();
          for (int i = 0; i < b; i++) {
            for (int t = 0; t < len; t++) {
              System.arraycopy(h[i][t], 0, out, ((from + i) * len + t) * HIDDEN, HIDDEN);
            }
          }
        }
      }
    }
    return out;
  }

  private static long[] longs(JsonNode a) {
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asLong();
    }
    return out;
  }
}
