package regionvlp.train;

import java.util.List;

/**
 * Optimisation settings. Defaults of the {@code demovlp-*} presets are the original code's (METHOD.md 4).
 *
 * @param epochs passes over the training videos
 * @param batchSize pairs per step (also the number of in-batch negatives + 1)
 * @param schedule learning-rate schedule family
 * @param lr base learning rate ({@code learning_rate1} in the original)
 * @param firstEpochLr rate of epoch 1 under MILESTONES (the config's {@code lr} in the original); 0 = lr
 * @param milestones epochs after which the rate is multiplied by gamma (MILESTONES)
 * @param gamma multiplier at each milestone
 * @param warmupSteps linear warm-up steps (COSINE)
 * @param weightDecay decoupled weight decay
 * @param beta1 Adam beta1
 * @param beta2 Adam beta2
 * @param eps Adam epsilon (1e-6 in transformers.AdamW)
 * @param clipGradNorm global gradient-norm clip, 0 = off (the original does not clip)
 * @param seed seed of initialisation, data order and frame sampling
 * @param logEvery steps between log lines
 * @param checkpointEvery steps between checkpoints, 0 = only at the end
 * @param maxSamplesPerEpoch the original's {@code max_samples_per_epoch}: an epoch stops before the
 *     iteration whose samples (iterations x batchSize x sources) would exceed it; 0 = no cap (one pass over
 *     the shorter source). An iteration is one batch of each source (two optimiser steps when
 *     alternating), as the original counts {@code (iter+1) * sum(batch sizes)}
 */
public record TrainConfig(
    int epochs,
    int batchSize,
    LrSchedule.Kind schedule,
    double lr,
    double firstEpochLr,
    List<Integer> milestones,
    double gamma,
    int warmupSteps,
    double weightDecay,
    double beta1,
    double beta2,
    double eps,
    double clipGradNorm,
    long seed,
    int logEvery,
    int checkpointEvery,
    long maxSamplesPerEpoch) {
  public TrainConfig {
    milestones = milestones == null ? List.of() : List.copyOf(milestones);
    if (epochs < 1) {
      throw new IllegalArgumentException("train.epochs must be >= 1, found " + epochs);
    }
    if (batchSize < 2) {
      throw new IllegalArgumentException(
          "train.batchSize must be >= 2 (a contrastive loss needs negatives), found " + batchSize);
    }
    if (schedule == null) {
      throw new IllegalArgumentException("train.schedule must be MILESTONES or COSINE");
    }
    if (clipGradNorm < 0) {
      throw new IllegalArgumentException("train.clipGradNorm must be >= 0, found " + clipGradNorm);
    }
    if (logEvery < 1) {
      throw new IllegalArgumentException("train.logEvery must be >= 1, found " + logEvery);
    }
    if (checkpointEvery < 0) {
      throw new IllegalArgumentException("train.checkpointEvery must be >= 0, found " + checkpointEvery);
    }
    if (maxSamplesPerEpoch < 0) {
      throw new IllegalArgumentException("train.maxSamplesPerEpoch must be >= 0 (0 = no cap), found "
          + maxSamplesPerEpoch);
    }
    new LrSchedule(schedule, lr, firstEpochLr, milestones, gamma, warmupSteps); // validates
  }

  /**
   * Iterations of one epoch: the shorter source's full batches, capped by {@link #maxSamplesPerEpoch}.
   *
   * @param batchesPerSource full batches per epoch of each source
   * @throws IllegalArgumentException when the cap leaves no iteration
   */
  public int iterationsPerEpoch(int... batchesPerSource) {
    int n = Integer.MAX_VALUE;
    for (int b : batchesPerSource) {
      n = Math.min(n, b);
    }
    if (maxSamplesPerEpoch > 0) {
      long perIteration = (long) batchSize * batchesPerSource.length;
      long cap = maxSamplesPerEpoch / perIteration;
      if (cap < 1) {
        throw new IllegalArgumentException("train.maxSamplesPerEpoch " + maxSamplesPerEpoch + " is below one"
            + " iteration (" + perIteration + " samples: batchSize x " + batchesPerSource.length + " source(s))");
      }
      n = (int) Math.min(n, cap);
    }
    return n;
  }

  /** The schedule these settings describe. */
  public LrSchedule lrSchedule() {
    return new LrSchedule(schedule, lr, firstEpochLr, milestones, gamma, warmupSteps);
  }
}
