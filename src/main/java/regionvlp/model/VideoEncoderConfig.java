package regionvlp.model;

/**
 * Sizes of the region transformer (METHOD.md 2.1). The paper's values are {@link #demovlp()}.
 *
 * @param featureDim D, the detector feature width (2048 for the real detector)
 * @param width transformer width (768)
 * @param depth number of pre-norm blocks (12)
 * @param numHeads attention heads (12); width must divide evenly
 * @param mlpDim hidden width of each block's MLP (3072)
 * @param maxFrames F, length of the temporal embedding (1 at pre-training, 8 at fine-tuning)
 * @param numRegions R, regions per frame (30); sizes the unused-but-loaded {@code custom_pos_embed}
 * @param initStd standard deviation of the truncated-normal init of the blocks and tokens (timm: 0.02)
 */
public record VideoEncoderConfig(
    int featureDim, int width, int depth, int numHeads, int mlpDim, int maxFrames, int numRegions,
    double initStd) {

  /** Box encoding width: normalised x1, y1, x2, y2, w, h (METHOD.md 1.4). */
  public static final int BOX_DIM = 6;
  /** LayerNorm epsilon of the ViT blocks. */
  public static final float LN_EPS = 1e-6f;

  public VideoEncoderConfig {
    positive("model.video.featureDim", featureDim);
    positive("model.video.width", width);
    positive("model.video.depth", depth);
    positive("model.video.numHeads", numHeads);
    positive("model.video.mlpDim", mlpDim);
    positive("model.video.maxFrames", maxFrames);
    positive("model.video.numRegions", numRegions);
    if (!(initStd > 0)) {
      throw new IllegalArgumentException("model.video.initStd must be > 0, found " + initStd);
    }
    if (width % numHeads != 0) {
      throw new IllegalArgumentException(
          "model.video.width (" + width + ") must be a multiple of model.video.numHeads (" + numHeads + ")");
    }
  }

  /** The paper's region transformer: 12 x 768, 12 heads, 2048-d features, 8 frames x 30 regions. */
  public static VideoEncoderConfig demovlp() {
    return new VideoEncoderConfig(2048, 768, 12, 12, 3072, 8, 30, 0.02);
  }

  static void positive(String key, int v) {
    if (v < 1) {
      throw new IllegalArgumentException(key + " must be >= 1, found " + v);
    }
  }
}
