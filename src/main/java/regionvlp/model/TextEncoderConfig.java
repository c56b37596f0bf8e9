package regionvlp.model;

/**
 * Sizes of the BERT-family text tower in the DistilBERT layout (METHOD.md 2.2); {@link #distilbert()} is
 * distilbert-base-uncased.
 *
 * @param vocabSize token vocabulary (30,522 for uncased BERT)
 * @param width hidden size (768)
 * @param depth transformer layers (6)
 * @param numHeads attention heads (12)
 * @param ffnDim feed-forward hidden size (3072)
 * @param maxPositions learned position table length (512)
 * @param maxLength tokens per caption after padding (100 in the original)
 * @param initStd standard deviation of the normal init of weights and embeddings (HF initializer_range, 0.02)
 * @param init where the transformer's initial weights come from
 * @param hfPath with {@code init = HF}: the Hugging Face folder ({@code config.json},
 *     {@code model.safetensors}, {@code tokenizer.json}) whose weights and tokenizer the tower uses; else ""
 * @param layerNormEps epsilon of every LayerNorm (BERT's {@code layer_norm_eps}; 1e-12 for DistilBERT)
 * @param activation the feed-forward non-linearity (BERT's {@code hidden_act}, DistilBERT's
 *     {@code activation})
 */
public record TextEncoderConfig(
    int vocabSize, int width, int depth, int numHeads, int ffnDim, int maxPositions, int maxLength,
    double initStd,
    Init init,
    String hfPath,
    double layerNormEps,
    Activation activation) {

  /** Initial weights of the text transformer (the {@code txt_proj} head is always freshly initialised). */
  public enum Init {
    /** Random, normal(0, initStd). */
    RANDOM,
    /** all-MiniLM-L6-v2 from the class path (needs its 6 x 384 sizes); see {@link PretrainedText}. */
    MINILM,
    /** A Hugging Face BERT or DistilBERT folder named by {@code hfPath}; see {@link HfTextCheckpoint}. */
    HF
  }

  /** The feed-forward non-linearity. */
  public enum Activation {
    /** Exact GELU, {@code x * Phi(x)} with the erf ({@code "gelu"} in Hugging Face configs). */
    GELU,
    /** The tanh approximation of GELU ({@code "gelu_new"}, {@code "gelu_pytorch_tanh"}, {@code "gelu_fast"}). */
    GELU_TANH,
    /** max(0, x). */
    RELU
  }

  /** LayerNorm epsilon of BERT-family models (DistilBERT hard-codes it; BERT's config default). */
  public static final double LN_EPS = 1e-12;

  public TextEncoderConfig {
    VideoEncoderConfig.positive("model.text.vocabSize", vocabSize);
    VideoEncoderConfig.positive("model.text.width", width);
    VideoEncoderConfig.positive("model.text.depth", depth);
    VideoEncoderConfig.positive("model.text.numHeads", numHeads);
    VideoEncoderConfig.positive("model.text.ffnDim", ffnDim);
    VideoEncoderConfig.positive("model.text.maxPositions", maxPositions);
    if (init == null) {
      throw new IllegalArgumentException("model.text.init must be RANDOM, MINILM or HF");
    }
    if (hfPath == null) {
      hfPath = "";
    }
    if (init == Init.HF && hfPath.isEmpty()) {
      throw new IllegalArgumentException(
          "model.text.init=HF needs model.text.hfPath, a folder with config.json, model.safetensors and "
              + "tokenizer.json");
    }
    if (init != Init.HF && !hfPath.isEmpty()) {
      throw new IllegalArgumentException("model.text.hfPath is set (" + hfPath + ") but model.text.init is "
          + init + "; set model.text.init=HF to use it");
    }
    if (!(layerNormEps > 0)) {
      throw new IllegalArgumentException("model.text.layerNormEps must be > 0, found " + layerNormEps);
    }
    if (activation == null) {
      throw new IllegalArgumentException("model.text.activation must be GELU, GELU_TANH or RELU");
    }
    if (!(initStd > 0)) {
      throw new IllegalArgumentException("model.text.initStd must be > 0, found " + initStd);
    }
    if (maxLength < 3) {
      throw new IllegalArgumentException("model.text.maxLength must be >= 3, found " + maxLength);
    }
    if (maxLength > maxPositions) {
      throw new IllegalArgumentException(
          "model.text.maxLength (" + maxLength + ") exceeds model.text.maxPositions (" + maxPositions + ")");
    }
    if (width % numHeads != 0) {
      throw new IllegalArgumentException(
          "model.text.width (" + width + ") must be a multiple of model.text.numHeads (" + numHeads + ")");
    }
  }

  /** distilbert-base-uncased: 6 x 768, 12 heads, FFN 3072, 512 positions; captions padded to 100. */
  public static TextEncoderConfig distilbert() {
    return new TextEncoderConfig(30522, 768, 6, 12, 3072, 512, 100, 0.02, Init.RANDOM, "", LN_EPS,
        Activation.GELU);
  }

  /** A copy with another caption length. */
  public TextEncoderConfig withMaxLength(int maxLength) {
    return new TextEncoderConfig(vocabSize, width, depth, numHeads, ffnDim, maxPositions, maxLength, initStd, init,
        hfPath, layerNormEps, activation);
  }

  /** A copy with another depth (a shallower tower takes a deeper checkpoint's first layers). */
  public TextEncoderConfig withDepth(int depth) {
    return new TextEncoderConfig(vocabSize, width, depth, numHeads, ffnDim, maxPositions, maxLength, initStd, init,
        hfPath, layerNormEps, activation);
  }
}
