package regionvlp.run;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import regionvlp.data.DataConfig;
import regionvlp.data.DataFault;
import regionvlp.data.datasets.DatasetReader;
import regionvlp.data.datasets.Datasets;
import regionvlp.data.datasets.ReadOptions;
import regionvlp.data.datasets.SplitIndex;
import regionvlp.features.ClipDataset;
import regionvlp.features.FrameSampler;
import regionvlp.features.TrainBatches;
import regionvlp.model.DualEncoder;
import regionvlp.text.CaptionTokenizer;
import regionvlp.text.TokenizedCaptions;
import regionvlp.train.TrainLoop;

/**
 * One training run from a resolved config: opens the data with the configured dataset reader (checking every
 * clip's frame count up front; bad clips and caption rows are skipped and logged once each, and the run
 * aborts past {@code data.maxBadFraction}), builds the
 * model, trains, logs to stderr and {@code metrics.jsonl}, evaluates on the validation split after each
 * epoch when one is configured, and writes the final checkpoint.
 */
public final class Training {
  private Training() {}

  /** Where the run ended up. */
  public record Result(Path runDir, Path checkpoint, double lastEpochLoss, long steps, double seconds,
      List<DataFault> skipped) {}

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
    requireSet("data.features", data.features());
    requireSet("data.trainMeta", data.trainMeta());
    long t0 = System.nanoTime();
    DatasetReader reader = Datasets.reader(data.dataset());
    int featureDim = cfg.model().video().featureDim();
    SplitIndex trainIndex = reader.read(Path.of(data.features()), Path.of(data.trainMeta()),
        new ReadOptions("train", data.faithfulHeaderSkip(), data.allCaptions()));
    ClipDataset train = ClipDataset.open(trainIndex, data.numFrames(), featureDim, data.numRegions(),
        data.faithfulSampling(), ClipDataset.BadItems.skip(data.maxBadFraction(), s -> log.accept("train: " + s)));
    ClipDataset val = null;
    if (!data.valMeta().isEmpty()) {
      SplitIndex valIndex = reader.read(Path.of(data.features()), Path.of(data.valMeta()),
          new ReadOptions("val", data.faithfulHeaderSkip(), data.allCaptions()));
      val = ClipDataset.open(valIndex, data.numFrames(), featureDim, data.numRegions(), false,
          ClipDataset.BadItems.exclude(s -> log.accept("val: " + s)));
    }
    TokenizedCaptions tok;
    try (CaptionTokenizer tokenizer = CaptionTokenizer.bundled(cfg.model().text().maxLength())) {
      tok = tokenizer.encode(train.captions());
    }
    log.accept(String.format(Locale.ROOT, "train: %d videos, %d captions from %s (%s); %d frames x %d regions,"
            + " %s sampler%s", train.numVideos(), train.numCaptions(), data.trainMeta(), data.dataset(),
        data.numFrames(), data.numRegions(), data.faithfulSampling() ? "faithful" : "corrected",
        train.excluded().isEmpty() ? "" : "; skipped " + train.excluded().size() + " bad items up front"));

    try (RunDir run = RunDir.create(out, cfg);
        NDManager root = NDManager.newBaseManager();
        DualEncoder model = initialModel(cfg, root);
        TrainBatches batches = new TrainBatches(train, tok, cfg.train().batchSize(),
            new FrameSampler(FrameSampler.Mode.RAND, data.faithfulSampling()), cfg.train().seed(),
            data.loaderThreads())) {
      log.accept(String.format(Locale.ROOT, "model: %,d parameters; %d steps per epoch, %d epochs; run dir %s",
          model.params().count(), batches.batchesPerEpoch(), cfg.train().epochs(), out));
      int perEpoch = batches.batchesPerEpoch();
      ClipDataset valSet = val;
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
        if (epochEnd && valSet != null) {
          Evaluation.Report rep = Evaluation.run(m, root, valSet, data.dataset(), Path.of(data.valMeta()),
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
      List<DataFault> skipped = new ArrayList<>(train.excluded());
      skipped.addAll(train.discoveredBad());
      if (!skipped.isEmpty()) {
        log.accept(String.format(Locale.ROOT, "skipped %d bad training items (data.maxBadFraction %s):",
            skipped.size(), data.maxBadFraction()));
        skipped.forEach(f -> log.accept("  " + f));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("step", steps);
        r.put("skipped", skipped.stream().map(DataFault::toJson).toList());
        run.log(r);
      }
      log.accept(String.format(Locale.ROOT, "trained %d steps in %.1f s; checkpoint %s", steps, seconds, ckpt));
      return new Result(out, ckpt, lastLoss, steps, seconds, List.copyOf(skipped));
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
