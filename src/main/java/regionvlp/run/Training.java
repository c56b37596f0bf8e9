package regionvlp.run;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import regionvlp.data.DataConfig;
import regionvlp.data.FeatureStore;
import regionvlp.features.ClipDataset;
import regionvlp.features.ClipSource;
import regionvlp.features.RegionSelector;
import regionvlp.features.FrameSampler;
import regionvlp.features.TrainBatches;
import regionvlp.model.DualEncoder;
import regionvlp.text.CaptionTokenizer;
import regionvlp.text.TokenizedCaptions;
import regionvlp.train.TrainLoop;

/**
 * One training run from a resolved config: opens the data (checking every clip up front), builds the
 * model, trains, logs to stderr and {@code metrics.jsonl}, evaluates on the validation split after each
 * epoch when one is configured, and writes the final checkpoint.
 */
public final class Training {
  private Training() {}

  /** Where the run ended up. */
  public record Result(Path runDir, Path checkpoint, double lastEpochLoss, long steps, double seconds) {}

  /** Told (step, total steps) after every step; the CLI draws a progress bar with it on a terminal. */
  @FunctionalInterface
  public interface Progress {
    void update(long step, long total);
  }

  /** As {@link #run(ExperimentConfig, Path, Consumer, Progress)} without a progress callback. */
  public static Result run(ExperimentConfig cfg, Path out, Consumer<String> log) {
    return run(cfg, out, log, (s, t) -> { });
  }

  /**
   * @param log receives human-readable log lines (stderr in the CLI)
   * @param progress told the step count after every step
   */
  public static Result run(ExperimentConfig cfg, Path out, Consumer<String> log, Progress progress) {
    DataConfig data = cfg.data();
    requireSet("data.trainMeta", data.trainMeta());
    try (FeatureStore store = openStore(data, log)) {
      return run(cfg, out, log, progress, store);
    }
  }

  /**
   * The configured feature store ({@code data.store}), verified, or null when clips come from the npz tree
   * ({@code data.features}).
   */
  public static FeatureStore openStore(DataConfig data, Consumer<String> log) {
    if (data.store().isEmpty()) {
      requireSet("data.features", data.features());
      return null;
    }
    FeatureStore store = FeatureStore.open(Path.of(data.store()), FeatureStore.Verify.ONCE, log);
    log.accept("clips from " + store);
    return store;
  }

  /** The clips of a run: from {@code store} when given, else from the npz tree under {@code data.features}. */
  public static ClipSource clipSource(DataConfig data, int featureDim, FeatureStore store) {
    RegionSelector selector = new RegionSelector(data.numRegions(), featureDim);
    return store != null ? ClipSource.store(store, selector) : ClipSource.npzTree(Path.of(data.features()), selector);
  }

  private static Result run(ExperimentConfig cfg, Path out, Consumer<String> log, Progress progress,
      FeatureStore store) {
    DataConfig data = cfg.data();
    long t0 = System.nanoTime();
    ClipSource source = clipSource(data, cfg.model().video().featureDim(), store);
    ClipDataset train = ClipDataset.open(source, Path.of(data.trainMeta()), data.faithfulHeaderSkip(),
        data.numFrames(), data.faithfulSampling());
    ClipDataset val = data.valMeta().isEmpty() ? null : ClipDataset.open(source, Path.of(data.valMeta()),
        data.faithfulHeaderSkip(), data.numFrames(), false);
    TokenizedCaptions tok;
    try (CaptionTokenizer tokenizer = CaptionTokenizer.bundled(cfg.model().text().maxLength())) {
      tok = tokenizer.encode(train.captions());
    }
    log.accept(String.format(Locale.ROOT, "train: %d videos, %d captions from %s; %d frames x %d regions",
        train.numVideos(), train.numCaptions(), data.trainMeta(), data.numFrames(), data.numRegions()));

    try (RunDir run = RunDir.create(out, cfg);
        NDManager root = NDManager.newBaseManager();
        DualEncoder model = initialModel(cfg, root);
        TrainBatches batches = new TrainBatches(train, tok, cfg.train().batchSize(),
            new FrameSampler(FrameSampler.Mode.RAND, data.faithfulSampling()), cfg.train().seed(),
            data.loaderThreads())) {
      log.accept(String.format(Locale.ROOT, "model: %,d parameters; %d steps per epoch, %d epochs; run dir %s",
          model.params().count(), batches.batchesPerEpoch(), cfg.train().epochs(), out));
      int perEpoch = batches.batchesPerEpoch();
      TrainLoop loop = new TrainLoop(model, cfg.train(), cfg.loss(), root);
      double lastLoss = loop.run(batches, (rec, m, opt) -> {
        progress.update(rec.step(), rec.totalSteps());
        boolean epochEnd = rec.step() % perEpoch == 0;
        if (rec.step() % cfg.train().logEvery() == 0 || epochEnd || rec.step() == rec.totalSteps()) {
          log.accept(rec.format());
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("step", rec.step());
          r.put("epoch", rec.epoch() + 1);
          r.put("loss", rec.loss());
          r.put("lr", rec.lr());
          r.put("gradNorm", rec.gradNorm());
          r.put("samplesPerSecond", rec.samplesPerSecond());
          run.log(r);
        }
        if (cfg.train().checkpointEvery() > 0 && rec.step() % cfg.train().checkpointEvery() == 0) {
          run.checkpoint(rec.step(), m);
        }
        if (epochEnd && val != null) {
          Evaluation.Report rep = Evaluation.run(m, root, val, data.dataset(), Path.of(data.valMeta()),
              data.faithfulHeaderSkip(), null);
          log.accept(String.format(Locale.ROOT, "val epoch %d: t2v R@1 %.2f R@5 %.2f R@10 %.2f MedR %.1f",
              rec.epoch() + 1, rep.metrics().t2v().r1(), rep.metrics().t2v().r5(), rep.metrics().t2v().r10(),
              rep.metrics().t2v().medR()));
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("step", rec.step());
          r.put("epoch", rec.epoch() + 1);
          r.put("val", rep.toJson());
          run.log(r);
        }
      });
      long steps = loop.optimizer().step();
      Path ckpt = run.checkpoint(steps, model);
      double seconds = (System.nanoTime() - t0) / 1e9;
      log.accept(String.format(Locale.ROOT, "trained %d steps in %.1f s; checkpoint %s", steps, seconds, ckpt));
      return new Result(out, ckpt, lastLoss, steps, seconds);
    }
  }

  /** A fresh model, with the pretrained text transformer loaded when the config asks for it. */
  public static DualEncoder initialModel(ExperimentConfig cfg, NDManager manager) {
    DualEncoder model = new DualEncoder(cfg.model(), manager, cfg.train().seed());
    if (cfg.model().text().init() == regionvlp.model.TextEncoderConfig.Init.MINILM) {
      regionvlp.model.PretrainedText.loadMiniLm(model.params(), cfg.model().text());
    }
    return model;
  }

  private static void requireSet(String key, String value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException(key + " is not set: give it in the config or with --set " + key + "=PATH");
    }
  }
}
