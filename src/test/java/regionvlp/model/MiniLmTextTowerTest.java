package regionvlp.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import regionvlp.text.CaptionTokenizer;
import regionvlp.text.TokenizedCaptions;

/**
 * The text tower built from the MiniLM jar's ONNX initializers (BERT names mapped onto our DistilBERT
 * layout, token-type row folded into the positions) against ONNX Runtime running the same ONNX file: an
 * independent implementation of the same network.
 */
class MiniLmTextTowerTest {
  @Test
  void lastHiddenStateMatchesOnnxRuntime() throws Exception {
    int len = 16;
    List<String> captions = List.of("a red dog runs to the left while a car stays still",
        "man playing guitar", "the small blue cup moves up and the big green ball grows bigger near a tree");
    TokenizedCaptions tok;
    try (CaptionTokenizer t = CaptionTokenizer.bundled(len)) {
      tok = t.encode(captions);
    }
    float[] ours;
    ModelConfig cfg = new ModelConfig(new VideoEncoderConfig(8, 16, 1, 2, 16, 1, 5, 0.02),
        PretrainedText.miniLmConfig(len), 256);
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(cfg, m, 1)) {
      PretrainedText.loadMiniLm(model.params(), cfg.text());
      ours = model.textHidden(m.create(tok.ids(), new Shape(3, len)), m.create(tok.mask(), new Shape(3, len)))
          .toFloatArray();
    }
    float[] reference;
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] onnx;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(PretrainedText.MINILM_RESOURCE)) {
      onnx = in.readAllBytes();
    }
    long[] shape = {3, len};
    try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions());
        OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(tok.ids()), shape);
        OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(tok.mask()), shape);
        OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[3 * len]), shape);
        OrtSession.Result r = s.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
      float[][][] out = (float[][][]) r.get(0).getValue();
      reference = new float[3 * len * 384];
      for (int i = 0; i < 3; i++) {
        for (int t = 0; t < len; t++) {
          System.arraycopy(out[i][t], 0, reference, (i * len + t) * 384, 384);
        }
      }
    }
    assertThat(ours).hasSameSizeAs(reference);
    int worst = 0;
    for (int i = 0; i < ours.length; i++) {
      if (Math.abs(ours[i] - reference[i]) > Math.abs(ours[worst] - reference[worst])) {
        worst = i;
      }
    }
    float diff = Math.abs(ours[worst] - reference[worst]);
    assertThat(diff)
        .as("max |ours - onnxruntime| at caption %d token %d dim %d: %f vs %f", worst / (len * 384),
            (worst / 384) % len, worst % 384, ours[worst], reference[worst])
        .isLessThan(1e-4f);
    // The sentences must differ from each other, so the comparison above is not vacuous.
    assertThat(Math.abs(reference[0] - reference[len * 384])).isGreaterThan(0f);
  }
}
