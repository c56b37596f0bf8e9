package regionvlp.train;

/**
 * Which loss terms are trained (METHOD.md 3.4).
 *
 * @param useGlobal the symmetric InfoNCE on global embeddings
 * @param temperature tau of the InfoNCE (0.05, fixed in the original)
 * @param useLocal the region-word alignment loss (weight 1: the original ignores its coef, G4)
 * @param focal the focal_equal filter inside RWA (the original's focal_type "equal")
 * @param rwaValidOnly average RWA over real words / regions only (the original counts padded slots, G2)
 */
public record LossConfig(boolean useGlobal, float temperature, boolean useLocal, boolean focal,
    boolean rwaValidOnly) {
  public LossConfig {
    if (!useGlobal && !useLocal) {
      throw new IllegalArgumentException("loss.useGlobal and loss.useLocal are both false: no loss term left");
    }
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("loss.temperature must be > 0, found " + temperature);
    }
  }
}
