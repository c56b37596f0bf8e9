package regionvlp.run;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import regionvlp.data.DataConfig;
import regionvlp.features.ClipDataset;
import regionvlp.features.FrameSampler;
import regionvlp.features.TrainBatches;
import regionvlp.model.DualEncoder;
import regionvlp.model.TimmVit;
import regionvlp.model.HfTextCheckpoint;
import regionvlp.model.PretrainedText;
import regionvlp.model.TextEncoderConfig;
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

  /** As {@link #run(ExperimentConfig, Path, Consumer, Progress, Path)} with the configured initialisation. */
  public static Result run(ExperimentConfig cfg, Path out, Consumer<String> log, Progress progress) {
    return run(cfg, out, log, progress, null);
  }

  /**
   * @param log receives human-readable log lines (stderr in the CLI)
   * @param progress told the step count after every step
   * @param initVideoFrom a timm ViT checkpoint whose blocks initialise the region transformer (as the paper
   *     initialises it from ViT-B/16), or null; recorded in metrics.jsonl with its SHA-256
   */
  public static Result run(ExperimentConfig cfg, Path out, Consumer<String> log, Progress progress,
      Path initVideoFrom) {
    DataConfig data = cfg.data();
    requireSet("data.features", data.features());
    requireSet("data.trainMeta", data.trainMeta());
    long t0 = System.nanoTime();
    ClipDataset train = ClipDataset.open(Path.of(data.features()), Path.of(data.trainMeta()),
        data.faithfulHeaderSkip(), data.numFrames(), cfg.model().video().featureDim(), data.numRegions(),
        data.faithfulSampling());
    ClipDataset val = data.valMeta().isEmpty() ? null : ClipDataset.open(Path.of(data.features()),
        Path.of(data.valMeta()), data.faithfulHeaderSkip(), data.numFrames(),
        cfg.model().video().featureDim(), data.numRegions(), false);
    TokenizedCaptions tok;
    try (CaptionTokenizer tokenizer = PretrainedText.tokenizer(cfg.model().text())) {
      tok = tokenizer.encode(train.captions());
    }
    log.accept(String.format(Locale.ROOT, "train: %d videos, %d captions from %s; %d frames x %d regions",
        train.numVideos(), train.numCaptions(), data.trainMeta(), data.numFrames(), data.numRegions()));

    // The model is built before the run folder exists, so a bad --init-video-from file leaves nothing behind.
    try (NDManager root = NDManager.newBaseManager();
        DualEncoder model = initialModel(cfg, root, initVideoFrom, log);
        RunDir run = RunDir.create(out, cfg);
        TrainBatches batches = new TrainBatches(train, tok, cfg.train().batchSize(),
            new FrameSampler(FrameSampler.Mode.RAND, data.faithfulSampling()), cfg.train().seed(),
            data.loaderThreads())) {
      if (initVideoFrom != null) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("initVideoFrom", initVideoFrom.toAbsolutePath().toString());
        r.put("sha256", Provenance.sha256(initVideoFrom));
        run.log(r);
      }
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

  /**
   * A fresh model as {@link #initialModel(ExperimentConfig, NDManager)} builds it, then, when {@code initVideoFrom}
   * is given, its region transformer's blocks from that timm ViT checkpoint ({@link TimmVit}).
   */
  public static DualEncoder initialModel(ExperimentConfig cfg, NDManager manager, Path initVideoFrom,
      Consumer<String> log) {
    DualEncoder model = initialModel(cfg, manager);
    if (initVideoFrom != null) {
      try {
        log.accept(TimmVit.initVideo(model.params(), cfg.model().video(), initVideoFrom).summary());
      } catch (RuntimeException e) {
        model.close();
        throw e;
      }
    }
    return model;
  }

  /** A fresh model, with the pretrained text transformer loaded when the config asks for it. */
  public static DualEncoder initialModel(ExperimentConfig cfg, NDManager manager) {
    DualEncoder model = new DualEncoder(cfg.model(), manager, cfg.train().seed());
    TextEncoderConfig text = cfg.model().text();
    try {
      switch (text.init()) {
        case MINILM -> PretrainedText.loadMiniLm(model.params(), text);
        case HF -> HfTextCheckpoint.load(Path.of(text.hfPath()), text.maxLength()).loadInto(model.params(), text);
        case RANDOM -> { }
      }
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    return model;
  }

  private static void requireSet(String key, String value) {
    if (value.isEmpty()) {
      throw new IllegalArgumentException(key + " is not set: give it in the config or with --set " + key + "=PATH");
    }
  }
}
