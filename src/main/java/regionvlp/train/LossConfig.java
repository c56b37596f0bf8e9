package regionvlp.train;

/**
 * Which loss terms are trained (METHOD.md 3.4).
 *
 * @param useGlobal the symmetric InfoNCE on global embeddings
 * @param temperature tau of the InfoNCE (0.05, fixed in the original)
 */
public record LossConfig(boolean useGlobal, float temperature) {
  public LossConfig {
    if (!useGlobal) {
      throw new IllegalArgumentException(
          "loss.useGlobal=false leaves no loss term: the region-word alignment term is not implemented yet");
    }
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("loss.temperature must be > 0, found " + temperature);
    }
  }
}
