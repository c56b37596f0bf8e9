package regionvlp.model;

/**
 * The dual encoder: a region transformer, a text tower and the joint embedding width.
 *
 * @param video region transformer sizes
 * @param text text tower sizes
 * @param embedDim joint space width (256)
 */
public record ModelConfig(VideoEncoderConfig video, TextEncoderConfig text, int embedDim) {
  public ModelConfig {
    if (video == null || text == null) {
      throw new IllegalArgumentException("model.video and model.text are required");
    }
    VideoEncoderConfig.positive("model.embedDim", embedDim);
  }

  /** The paper's model: ViT-B-sized region transformer, DistilBERT, 256-d joint space. */
  public static ModelConfig demovlp() {
    return new ModelConfig(VideoEncoderConfig.demovlp(), TextEncoderConfig.distilbert(), 256);
  }

}
