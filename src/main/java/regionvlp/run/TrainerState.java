package regionvlp.run;

/**
 * Where a training run stands at a checkpoint ({@code trainer-state.json}); with the weights and the
 * optimizer moments beside it, enough to continue exactly as if the run had never stopped.
 *
 * <p>Nothing else needs saving: the model has no dropout, and every random draw of training comes from a
 * generator seeded by (seed, epoch, batch) ({@code TrainBatches}), so the data order, the caption choice
 * and the frame sampling of every later step follow from {@code seed} and {@code step} alone. The learning
 * rate is a pure function of (epoch, step, totalSteps); {@code lastLr} lets a resume check that the
 * schedule it computes is the one that wrote the checkpoint.
 *
 * @param format {@link #FORMAT}
 * @param step optimiser steps taken
 * @param epoch 0-based epoch of the next step
 * @param batchInEpoch 0-based batch of the next step within that epoch
 * @param batchesPerEpoch full batches per epoch of the training split
 * @param totalSteps steps of the whole run
 * @param lastLr learning rate of step {@code step} (the last one taken)
 * @param epochLossSum sum of the losses of the steps taken in the epoch of the last step
 * @param epochSteps how many steps that sum covers
 * @param seed the run's seed
 * @param trainDataSha256 hash of the training split's video ids and captions, in row order
 * @param secondaryDataSha256 the same for the second source's training split when batches alternate
 *     ({@code data.secondary}), else null
 * @param nextSource the dataset whose batch step {@code step + 1} reads (with two sources, even batches of an
 *     epoch are the primary's and odd ones the secondary's); informative, the position follows from
 *     {@code batchInEpoch}
 */
public record TrainerState(String format, long step, int epoch, int batchInEpoch, int batchesPerEpoch,
    long totalSteps, double lastLr, double epochLossSum, int epochSteps, long seed, String trainDataSha256,
    String secondaryDataSha256, String nextSource) {
  /** Format tag of this record. */
  public static final String FORMAT = "regionvlp-trainer-state-1";

  /** Whether every step of the run has been taken. */
  public boolean complete() {
    return step >= totalSteps;
  }
}
