package regionvlp.train;

import java.util.List;

/**
 * Learning-rate schedules. Both are explicit in the config (METHOD.md G5).
 *
 * <ul>
 *   <li>{@link Kind#MILESTONES}: the original's schedule. Epoch 1 runs at {@code firstEpochLr}; after
 *       epoch e the rate becomes {@code lr * gamma^(number of milestones <= e)} (with the README's
 *       {@code -sc 2 4 8} and the default {@code learning_rate1} 2e-4: epoch 2 at 2e-4, 3-4 at 2e-5, ...).
 *   <li>{@link Kind#COSINE}: linear warm-up over {@code warmupSteps}, then cosine decay to 0 at the last
 *       step. Used by the quick start, whose budget is a few hundred steps.
 * </ul>
 */
public record LrSchedule(
    Kind kind, double lr, double firstEpochLr, List<Integer> milestones, double gamma, int warmupSteps) {

  /** Schedule family. */
  public enum Kind {
    MILESTONES,
    COSINE
  }

  public LrSchedule {
    milestones = List.copyOf(milestones);
    if (!(lr > 0)) {
      throw new IllegalArgumentException("train.lr must be > 0, found " + lr);
    }
    if (firstEpochLr < 0) {
      throw new IllegalArgumentException("train.firstEpochLr must be >= 0, found " + firstEpochLr);
    }
    if (warmupSteps < 0) {
      throw new IllegalArgumentException("train.warmupSteps must be >= 0, found " + warmupSteps);
    }
  }

  /**
   * @param epoch 0-based epoch index
   * @param step 0-based global step
   * @param totalSteps steps of the whole run
   * @return the learning rate of that step
   */
  public double at(int epoch, long step, long totalSteps) {
    if (kind == Kind.MILESTONES) {
      if (epoch == 0 && firstEpochLr > 0) {
        return firstEpochLr;
      }
      long passed = milestones.stream().filter(m -> m <= epoch).count();
      return lr * Math.pow(gamma, passed);
    }
    if (step < warmupSteps) {
      return lr * (step + 1) / warmupSteps;
    }
    long decay = Math.max(1, totalSteps - warmupSteps);
    double progress = Math.min(1.0, (double) (step - warmupSteps) / decay);
    return lr * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
}
