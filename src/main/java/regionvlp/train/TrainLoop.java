package regionvlp.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import java.util.Iterator;
import java.util.Locale;
import regionvlp.features.HostBatch;
import regionvlp.features.InterleavedBatches;
import regionvlp.model.DualEncoder;
import regionvlp.model.TextEmbeddings;
import regionvlp.model.VideoEmbeddings;

/**
 * The training loop: for every batch (of one source, or alternating between two: {@link InterleavedBatches}),
 * forward both towers, the loss terms, backward, optional global-norm
 * clipping, then one AdamW step.
 *
 * <p>Memory discipline (STACK.md): the forward and backward of a step run inside an {@link NDScope} and a
 * per-step sub-manager, which close every array the step created, including those that ops attached to
 * the parameters' manager; the optimiser update runs after the scope, with moment buffers created up front.
 * The number of live native arrays is therefore the same after every step.
 *
 * <p>Loss terms (METHOD.md 3.4): the global InfoNCE ({@link ContrastiveLoss}) plus the region-word
 * alignment loss ({@link LocalAlignmentLoss} over {@link RegionWordAlignment}), each switchable.
 */
public final class TrainLoop {
  /** What a listener learns after each step. */
  public record StepRecord(long step, long totalSteps, int epoch, double loss, double lr, double gradNorm,
      double samplesPerSecond, String source) {
    /** The fixed-format log line; it names the step's source when batches alternate between sources. */
    public String format() {
      return String.format(Locale.ROOT, "step %d/%d epoch %d loss %.4f lr %.2e gradNorm %.3f samples/s %.1f%s",
          step, totalSteps, epoch + 1, loss, lr, gradNorm, samplesPerSecond, source == null ? "" : " source " + source);
    }
  }

  /** Receives step records and may checkpoint. */
  public interface Listener {
    /** Called after every optimiser step. */
    void onStep(StepRecord record, DualEncoder model, AdamW optimizer);
  }

  private final DualEncoder model;
  private final TrainConfig cfg;
  private final LossConfig lossCfg;
  private final NDManager manager;
  private final AdamW optimizer;
  private double epochLossSum; // over the steps taken so far in the current (or just finished) epoch
  private int epochSteps;

  /** @param manager parent of the per-step managers */
  public TrainLoop(DualEncoder model, TrainConfig cfg, LossConfig loss, NDManager manager) {
    this.model = model;
    this.cfg = cfg;
    this.lossCfg = loss;
    this.manager = manager;
    this.optimizer = new AdamW(model.params().all(), cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay());
  }

  /** The optimiser (for checkpointing its state). */
  public AdamW optimizer() {
    return optimizer;
  }

  /** Sum of the losses of the steps taken in the epoch of the last step (for checkpoints). */
  public double epochLossSum() {
    return epochLossSum;
  }

  /** Steps taken in the epoch of the last step (for checkpoints). */
  public int epochSteps() {
    return epochSteps;
  }

  /**
   * Restores the running loss of an epoch interrupted mid-way, so that a resumed run reports the same
   * epoch mean as an uninterrupted one. The step itself lives in the optimizer ({@link AdamW#restore}).
   */
  public void restoreEpochLoss(double sum, int steps) {
    this.epochLossSum = sum;
    this.epochSteps = steps;
  }

  /**
   * Trains for {@code cfg.epochs()} epochs, starting after the optimizer's step count (0, or the step a
   * resumed run stopped at: the data order, the learning rate and the loss of the epoch in progress all
   * continue from there).
   *
   * @return the mean loss of the last epoch
   */
  public double run(InterleavedBatches batches, Listener listener) {
    LrSchedule schedule = cfg.lrSchedule();
    int perEpoch = batches.batchesPerEpoch();
    long total = (long) perEpoch * cfg.epochs();
    long step = optimizer.step();
    double lastEpochLoss = epochSteps == 0 ? Double.NaN : epochLossSum / epochSteps;
    for (int epoch = (int) (step / perEpoch); epoch < cfg.epochs(); epoch++) {
      int firstBatch = (int) (step % perEpoch);
      if (firstBatch == 0) {
        epochLossSum = 0;
        epochSteps = 0;
      }
      Iterator<HostBatch> it = batches.epoch(epoch, firstBatch);
      boolean named = batches.sources().size() > 1;
      while (it.hasNext()) {
        String source = named ? batches.sourceOf((int) (step % perEpoch)) : null;
        long t0 = System.nanoTime();
        HostBatch batch = it.next();
        double lr = schedule.at(epoch, step, total);
        double[] lossAndNorm = forwardBackward(batch);
        if (!Double.isFinite(lossAndNorm[0])) {
          throw new IllegalStateException(String.format(Locale.ROOT,
              "loss became %s at step %d (lr %.2e): lower train.lr or enable train.clipGradNorm",
              lossAndNorm[0], step + 1, lr));
        }
        optimizer.update(lr);
        step++;
        epochLossSum += lossAndNorm[0];
        epochSteps++;
        double seconds = (System.nanoTime() - t0) / 1e9;
        listener.onStep(new StepRecord(step, total, epoch, lossAndNorm[0], lr, lossAndNorm[1],
            batch.size() / seconds, source), model, optimizer);
      }
      lastEpochLoss = epochSteps == 0 ? lastEpochLoss : epochLossSum / epochSteps;
    }
    return lastEpochLoss;
  }

  /** What one {@link #step} did: the loss, the gradient norm before clipping, and where the time went. */
  public record StepResult(double loss, double gradNorm, long forwardBackwardNanos, long updateNanos) {}

  /**
   * One optimiser step outside the epoch loop (the benchmark's unit of work): forward, loss, backward,
   * clipping, then AdamW at learning rate {@code lr}.
   */
  public StepResult step(HostBatch batch, double lr) {
    long t0 = System.nanoTime();
    double[] lossAndNorm = forwardBackward(batch);
    long t1 = System.nanoTime();
    optimizer.update(lr);
    return new StepResult(lossAndNorm[0], lossAndNorm[1], t1 - t0, System.nanoTime() - t1);
  }

  /** Forward, loss, backward and clipping for one batch; returns {loss, gradient norm before clipping}. */
  private double[] forwardBackward(HostBatch batch) {
    try (NDScope ignored = new NDScope(); NDManager sub = manager.newSubManager()) {
      NDArray regions = batch.regionsArray(sub);
      NDArray regionMask = batch.regionMaskArray(sub);
      NDArray ids = batch.idsArray(sub);
      NDArray textMask = batch.textMaskArray(sub);
      double loss;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        VideoEmbeddings v = model.encodeVideo(regions, regionMask);
        TextEmbeddings t = model.encodeText(ids, textMask);
        NDArray l = objective(lossCfg, v, t);
        gc.backward(l);
        loss = l.getFloat();
      }
      return new double[] {loss, clipGradients()};
    }
  }

  /**
   * The training objective of one batch (scalar): the global InfoNCE on G = cos(text, video) plus the RWA
   * loss on S (video x caption), each when switched on, with weight 1 (METHOD.md 3.4).
   */
  static NDArray objective(LossConfig lossCfg, VideoEmbeddings v, TextEmbeddings t) {
    NDArray total = null;
    if (lossCfg.useGlobal()) {
      total = new ContrastiveLoss(lossCfg.temperature()).compute(DualEncoder.cosine(t.global(), v.global()));
    }
    if (lossCfg.useLocal()) {
      NDArray s = new RegionWordAlignment(lossCfg.focal(), lossCfg.rwaValidOnly())
          .similarity(v.local(), v.keyMask(), t.local(), t.keyMask()); // [B, B] video x caption
      NDArray l = new LocalAlignmentLoss().compute(s);
      total = total == null ? l : total.add(l);
    }
    return total;
  }

  /** Global L2 norm of all gradients; scales them down to {@code clipGradNorm} when it is set and exceeded. */
  private double clipGradients() {
    // Per-parameter L2 norms (one read of each gradient, no gradient-sized temporary), then their norm.
    NDList norms = new NDList();
    for (NDArray p : model.params().all().values()) {
      norms.add(p.getGradient().norm());
    }
    double norm = NDArrays.stack(norms).norm().getFloat();
    if (cfg.clipGradNorm() > 0 && norm > cfg.clipGradNorm()) {
      float scale = (float) (cfg.clipGradNorm() / (norm + 1e-6));
      for (NDArray p : model.params().all().values()) {
        p.getGradient().muli(scale);
      }
    }
    return norm;
  }
}
