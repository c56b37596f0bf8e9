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
 */
public record TextEncoderConfig(
    int vocabSize, int width, int depth, int numHeads, int ffnDim, int maxPositions, int maxLength,
    double initStd,
    Init init) {

  /** Initial weights of the text transformer (the {@code txt_proj} head is always freshly initialised). */
  public enum Init {
    /** Random, normal(0, initStd). */
    RANDOM,
    /** all-MiniLM-L6-v2 from the class path (needs its 6 x 384 sizes); see {@link PretrainedText}. */
    MINILM
  }


  /** LayerNorm epsilon of BERT-family models. */
  public static final float LN_EPS = 1e-12f;

  public TextEncoderConfig {
    VideoEncoderConfig.positive("model.text.vocabSize", vocabSize);
    VideoEncoderConfig.positive("model.text.width", width);
    VideoEncoderConfig.positive("model.text.depth", depth);
    VideoEncoderConfig.positive("model.text.numHeads", numHeads);
    VideoEncoderConfig.positive("model.text.ffnDim", ffnDim);
    VideoEncoderConfig.positive("model.text.maxPositions", maxPositions);
    if (init == null) {
      throw new IllegalArgumentException("model.text.init must be RANDOM or MINILM");
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
    return new TextEncoderConfig(30522, 768, 6, 12, 3072, 512, 100, 0.02, Init.RANDOM);
  }
}
