package regionvlp.run;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import regionvlp.data.DataConfig;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.DataFault;
import regionvlp.data.FeatureStore;
import regionvlp.data.datasets.DatasetReader;
import regionvlp.data.datasets.Datasets;
import regionvlp.data.datasets.ReadOptions;
import regionvlp.data.datasets.SplitIndex;
import regionvlp.features.ClipDataset;
import regionvlp.features.FrameSampler;
import regionvlp.features.InterleavedBatches;
import regionvlp.features.TrainBatches;
import regionvlp.model.DualEncoder;
import regionvlp.model.HfTextCheckpoint;
import regionvlp.model.PretrainedText;
import regionvlp.model.TextEncoderConfig;
import regionvlp.model.TimmVit;
import regionvlp.text.CaptionTokenizer;
import regionvlp.text.TokenizedCaptions;
import regionvlp.train.TrainLoop;

/**
 * One training run from a resolved config: opens the data with the configured dataset reader (checking every
 * clip's frame count up front; bad clips and caption rows are skipped and logged once each, and the run
 * aborts past {@code data.maxBadFraction}), builds the
 * model, trains, logs to stderr and {@code metrics.jsonl}, evaluates on the validation split after each
 * epoch when one is configured, checkpoints every {@code train.checkpointEvery} steps, and writes the final
 * checkpoint. {@link #resume} continues an interrupted run from its last checkpoint exactly: the same
 * weights come out as from a run that was never stopped.
 */
public final class Training {
  /**
   * The only keys {@code --set} may change on {@code --resume}: where the data lives (the training split's
   * content is checked against the checkpoint) and how often to log and checkpoint. None of them changes
   * a trained weight; any other change would give a model that no uninterrupted run gives.
   */
  public static final List<String> RESUME_OVERRIDES = List.of("data.features", "data.trainMeta",
      "data.valMeta", "data.loaderThreads", "data.secondary.features", "data.secondary.trainMeta",
      "train.logEvery", "train.checkpointEvery");

  private Training() {}

  /** Where the run ended up. */
  public record Result(Path runDir, Path checkpoint, double lastEpochLoss, long steps, double seconds,
      List<DataFault> skipped) {}

  /** Told (step, total steps) after every step; the CLI draws a progress bar with it on a terminal. */
  @FunctionalInterface
  public interface Progress {
    void update(long step, long total);
  }

  /**
   * The opened splits, the tokenised training captions, the training split's fingerprint and the feature
   * store they read from (null for the npz tree), closed with them.
   */
  private record Splits(ClipDataset train, ClipDataset val, TokenizedCaptions captions, String trainSha256,
      FeatureStore store, Secondary secondary) implements AutoCloseable {
    @Override
    public void close() {
      try {
        if (secondary != null) {
          secondary.close();
        }
      } finally {
        if (store != null) {
          store.close();
        }
      }
    }

    /** All bad items found so far, of both sources. */
    List<DataFault> skipped() {
      List<DataFault> out = new ArrayList<>(train.excluded());
      out.addAll(train.discoveredBad());
      if (secondary != null) {
        out.addAll(secondary.train().excluded());
        out.addAll(secondary.train().discoveredBad());
      }
      return out;
    }
  }

  /** The second training source ({@code data.secondary}): its split, captions, fingerprint and store. */
  private record Secondary(String dataset, ClipDataset train, TokenizedCaptions captions, String trainSha256,
      FeatureStore store) implements AutoCloseable {
    @Override
    public void close() {
      if (store != null) {
        store.close();
      }
    }
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
    return run(cfg, out, log, progress, initVideoFrom, null);
  }

  /**
   * As {@link #run(ExperimentConfig, Path, Consumer, Progress, Path)}, optionally starting from a regionvlp
   * checkpoint.
   *
   * @param initFrom a checkpoint folder or run directory whose weights initialise both towers (fine-tuning
   *     from a pre-trained checkpoint, METHOD.md 4.2: the temporal embedding is zero-inflated to
   *     {@code model.video.maxFrames}; {@link CheckpointInit}), or null; recorded in metrics.jsonl
   */
  public static Result run(ExperimentConfig cfg, Path out, Consumer<String> log, Progress progress,
      Path initVideoFrom, Path initFrom) {
    if (initVideoFrom != null && initFrom != null) {
      throw new IllegalArgumentException("--init-from loads both towers from a checkpoint; drop --init-video-from");
    }
    long t0 = System.nanoTime();
    // The model is built before the run folder exists, so a bad --init-video-from file leaves nothing behind.
    CheckpointInit.Report[] init = {null};
    try (Splits data = openSplits(cfg, log);
        NDManager root = NDManager.newBaseManager();
        DualEncoder model = initFrom != null ? fromCheckpoint(cfg, root, initFrom, log, init)
            : initialModel(cfg, root, initVideoFrom, log);
        RunDir run = RunDir.create(out, cfg)) {
      if (initVideoFrom != null) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("initVideoFrom", initVideoFrom.toAbsolutePath().toString());
        r.put("sha256", Provenance.sha256(initVideoFrom));
        run.log(r);
      }
      if (init[0] != null) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("initFrom", init[0].toJson());
        run.log(r);
      }
      TrainLoop loop = new TrainLoop(model, cfg.train(), cfg.loss(), root);
      return train(cfg, data, run, model, loop, root, null, log, progress, t0);
    }
  }

  /**
   * Continues the run in {@code runDir} from the checkpoint {@code checkpoints/last} names, with the run's
   * own {@code config.json}, to the configured end. Restores the weights, the AdamW moments and step, the
   * running loss of the epoch in progress; the data order, frame sampling and learning rate follow from
   * the step ({@link TrainerState}). Removes what the interrupted process wrote after that checkpoint
   * ({@link RunDir#resume}) and records the resume in {@code provenance.json}. A run that already finished
   * is left as it is.
   *
   * @param overrides {@code key=value} overrides, limited to {@link #RESUME_OVERRIDES}
   * @throws InvalidInputFileException if the run directory, its config or its checkpoint is missing or
   *     unusable, or the training data differ from the data the checkpoint was trained on
   * @throws IllegalArgumentException for an override outside {@link #RESUME_OVERRIDES}
   */
  public static Result resume(Path runDir, List<String> overrides, Consumer<String> log, Progress progress) {
    long t0 = System.nanoTime();
    ExperimentConfig cfg = resumeConfig(runDir, overrides);
    Path last = runDir.resolve("checkpoints").resolve("last");
    if (!Files.isRegularFile(last)) {
      throw new InvalidInputFileException(runDir, "no checkpoint to resume from: checkpoints/last is missing"
          + " (the run stopped before its first checkpoint; train.checkpointEvery sets how often they are"
          + " written, 0 = only at the end)");
    }
    Path ckpt = Checkpoints.resolve(runDir);
    TrainerState state = Checkpoints.readTrainerState(ckpt);
    if (state.complete()) {
      log.accept(String.format(Locale.ROOT, "run already complete: %s holds step %d of %d; nothing to do",
          ckpt, state.step(), state.totalSteps()));
      return new Result(runDir, ckpt, state.epochLossSum() / state.epochSteps(), state.step(), 0, List.of());
    }
    try (Splits data = openSplits(cfg, log)) {
      return resume(runDir, cfg, ckpt, state, data, overrides, log, progress, t0);
    }
  }

  private static Result resume(Path runDir, ExperimentConfig cfg, Path ckpt, TrainerState state, Splits data,
      List<String> overrides, Consumer<String> log, Progress progress, long t0) {
    if (!data.trainSha256().equals(state.trainDataSha256())) {
      throw new InvalidInputFileException(Path.of(cfg.data().trainMeta()), "the training split differs from"
          + " the one " + ckpt + " was trained on (its video ids or captions changed): resuming would not"
          + " continue the same run");
    }
    String secondarySha = data.secondary() == null ? null : data.secondary().trainSha256();
    if (!java.util.Objects.equals(secondarySha, state.secondaryDataSha256())) {
      throw new InvalidInputFileException(Path.of(cfg.data().secondary().trainMeta()), "the secondary training"
          + " split (data.secondary) differs from the one " + ckpt + " was trained on: resuming would not"
          + " continue the same run");
    }
    Provenance provenance = Provenance.read(runDir.resolve("provenance.json")).withResume(
        new Provenance.Resume(runDir.relativize(ckpt).toString(), state.step(), overrides,
            Provenance.capture(cfg.train().seed(), json(cfg))));
    try (NDManager root = NDManager.newBaseManager()) {
      Checkpoints.Loaded loaded = Checkpoints.load(ckpt, root);
      try (DualEncoder model = loaded.model()) {
        String diff = firstDifference(withoutResumeOverrides(loaded.config()), withoutResumeOverrides(cfg), "");
        if (diff != null) {
          throw new InvalidInputFileException(ckpt.resolve(Checkpoints.CONFIG), "differs from "
              + runDir.resolve("config.json") + " at '" + diff + "': the run directory was edited");
        }
        TrainLoop loop = new TrainLoop(model, cfg.train(), cfg.loss(), root);
        Checkpoints.restoreOptimizer(ckpt, loop.optimizer(), state.step());
        loop.restoreEpochLoss(state.epochLossSum(), state.epochSteps());
        log.accept(String.format(Locale.ROOT, "resuming %s from %s: step %d of %d (epoch %d, batch %d)", runDir,
            ckpt.getFileName(), state.step(), state.totalSteps(), state.epoch() + 1, state.batchInEpoch()));
        try (RunDir run = RunDir.resume(runDir, cfg, provenance, state.step(), log)) {
          return train(cfg, data, run, model, loop, root, state, log, progress, t0);
        }
      }
    }
  }

  /** The run's config.json with the allowed overrides applied. */
  private static ExperimentConfig resumeConfig(Path runDir, List<String> overrides) {
    if (!Files.isDirectory(runDir)) {
      throw new InvalidInputFileException(runDir, "no such run directory");
    }
    Path file = runDir.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputFileException(runDir, "not a run directory: expected config.json in it (written by"
          + " train --out)");
    }
    ObjectNode tree;
    try {
      if (!(Json.MAPPER.readTree(file.toFile()) instanceof ObjectNode obj)) {
        throw new InvalidInputFileException(file, "expected a JSON object");
      }
      tree = obj;
      ConfigLoader.fromTree(tree, file.toString());
    } catch (IOException | IllegalArgumentException e) {
      throw new InvalidInputFileException(file, "cannot use the run's config: " + e.getMessage(), e);
    }
    for (String o : overrides) {
      String key = o.contains("=") ? o.substring(0, o.indexOf('=')).trim() : o;
      if (!RESUME_OVERRIDES.contains(key)) {
        throw new IllegalArgumentException("--set " + key + " cannot be combined with --resume: the rest of the"
            + " run would then match no uninterrupted run. With --resume, --set accepts only "
            + RESUME_OVERRIDES);
      }
      ConfigLoader.applyOverride(tree, o);
    }
    return ConfigLoader.fromTree(tree, file + " with --set " + overrides);
  }

  private static JsonNode withoutResumeOverrides(ExperimentConfig cfg) {
    ObjectNode tree = Json.MAPPER.valueToTree(cfg);
    for (String key : RESUME_OVERRIDES) {
      String[] parts = key.split("\\.");
      JsonNode node = tree;
      for (int i = 0; i < parts.length - 1; i++) {
        node = node.path(parts[i]);
      }
      if (node instanceof ObjectNode obj) {
        obj.remove(parts[parts.length - 1]);
      }
    }
    return tree;
  }

  /** The dotted path of the first value that differs, or null if the trees are equal. */
  private static String firstDifference(JsonNode a, JsonNode b, String prefix) {
    if (a.isObject() && b.isObject()) {
      Set<String> names = new TreeSet<>();
      a.fieldNames().forEachRemaining(names::add);
      b.fieldNames().forEachRemaining(names::add);
      for (String n : names) {
        String d = firstDifference(a.path(n), b.path(n), prefix + n + ".");
        if (d != null) {
          return d;
        }
      }
      return null;
    }
    return a.equals(b) ? null : prefix.substring(0, prefix.length() - 1);
  }

  private static String json(ExperimentConfig cfg) {
    try {
      return Json.MAPPER.writeValueAsString(cfg);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Splits openSplits(ExperimentConfig cfg, Consumer<String> log) {
    DataConfig data = cfg.data();
    requireSet("data.trainMeta", data.trainMeta());
    FeatureStore store = openStore(data, log);
    try {
      DatasetReader reader = Datasets.reader(data.dataset());
      int featureDim = cfg.model().video().featureDim();
      SplitIndex trainIndex = index(reader, data, data.trainMeta(), "train", store);
      ClipDataset train = ClipDataset.open(trainIndex, data.numFrames(), featureDim, data.numRegions(),
          data.faithfulSampling(), ClipDataset.BadItems.skip(data.maxBadFraction(), s -> log.accept("train: " + s)));
      ClipDataset val = null;
      if (!data.valMeta().isEmpty()) {
        SplitIndex valIndex = index(reader, data, data.valMeta(), "val", store);
        val = ClipDataset.open(valIndex, data.numFrames(), featureDim, data.numRegions(), false,
            ClipDataset.BadItems.exclude(s -> log.accept("val: " + s)));
      }
      TokenizedCaptions tok;
      try (CaptionTokenizer tokenizer = PretrainedText.tokenizer(cfg.model().text())) {
        tok = tokenizer.encode(train.captions());
      }
      log.accept(String.format(Locale.ROOT, "train: %d videos, %d captions from %s (%s); %d frames x %d regions,"
              + " %s sampler%s", train.numVideos(), train.numCaptions(), data.trainMeta(), data.dataset(),
          data.numFrames(), data.numRegions(), data.faithfulSampling() ? "faithful" : "corrected",
          train.excluded().isEmpty() ? "" : "; skipped " + train.excluded().size() + " bad items up front"));
      Secondary secondary = data.alternates() ? openSecondary(cfg, log) : null;
      return new Splits(train, val, tok, fingerprint(train), store, secondary);
    } catch (RuntimeException | Error e) {
      if (store != null) {
        store.close();
      }
      throw e;
    }
  }

  /** Opens {@code data.secondary} with the primary's frame count, regions, sampler and bad-item policy. */
  private static Secondary openSecondary(ExperimentConfig cfg, Consumer<String> log) {
    DataConfig data = cfg.data().secondary().asPrimary(cfg.data());
    String prefix = "train (secondary " + data.dataset() + "): ";
    if (data.trainMeta().isEmpty()) {
      throw new IllegalArgumentException("data.secondary.trainMeta is not set: give it in the config or with"
          + " --set data.secondary.trainMeta=PATH (or --set data.secondary.dataset= for one source)");
    }
    if (data.store().isEmpty() && data.features().isEmpty()) {
      throw new IllegalArgumentException("data.secondary.features is not set: give it in the config or with"
          + " --set data.secondary.features=PATH (or data.secondary.store)");
    }
    FeatureStore store = openStore(data, log);
    try {
      DatasetReader reader = Datasets.reader(data.dataset());
      ClipDataset train = ClipDataset.open(index(reader, data, data.trainMeta(), "train", store), data.numFrames(),
          cfg.model().video().featureDim(), data.numRegions(), data.faithfulSampling(),
          ClipDataset.BadItems.skip(data.maxBadFraction(), s -> log.accept(prefix + s)));
      TokenizedCaptions tok;
      try (CaptionTokenizer tokenizer = PretrainedText.tokenizer(cfg.model().text())) {
        tok = tokenizer.encode(train.captions());
      }
      log.accept(String.format(Locale.ROOT, "%s%d videos, %d captions from %s%s", prefix, train.numVideos(),
          train.numCaptions(), data.trainMeta(), train.excluded().isEmpty() ? ""
              : "; skipped " + train.excluded().size() + " bad items up front"));
      return new Secondary(data.dataset(), train, tok, fingerprint(train), store);
    } catch (RuntimeException | Error e) {
      if (store != null) {
        store.close();
      }
      throw e;
    }
  }

  /** A split as the dataset's reader lists it, its clips read from {@code store} when one is configured. */
  private static SplitIndex index(DatasetReader reader, DataConfig data, String meta, String split,
      FeatureStore store) {
    // With a store the reader's paths only become store keys, relative to the store's folder.
    Path features = store != null ? store.root() : Path.of(data.features());
    SplitIndex index = reader.read(features, Path.of(meta),
        new ReadOptions(split, data.faithfulHeaderSkip(), data.allCaptions()));
    return store != null ? index.withStore(store) : index;
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

  /** SHA-256 of the split's video ids, captions and caption-to-video map, in row order. */
  private static String fingerprint(ClipDataset split) {
    StringBuilder sb = new StringBuilder();
    split.videoIds().forEach(v -> sb.append(v).append('\n'));
    int[] c2v = split.captionToVideo();
    List<String> captions = split.captions();
    for (int c = 0; c < captions.size(); c++) {
      sb.append(c2v[c]).append('\t').append(captions.get(c)).append('\n');
    }
    return Provenance.sha256(sb.toString());
  }

  /** The loop shared by a new and a resumed run. */
  private static Result train(ExperimentConfig cfg, Splits data, RunDir run, DualEncoder model, TrainLoop loop,
      NDManager root, TrainerState resumed, Consumer<String> log, Progress progress, long t0) {
    DataConfig dc = cfg.data();
    try (InterleavedBatches batches = batches(cfg, data)) {
      int perEpoch = batches.batchesPerEpoch();
      long total = (long) perEpoch * cfg.train().epochs();
      if (resumed != null) {
        checkPosition(resumed, perEpoch, total, cfg, run.path());
      }
      if (batches.sources().size() > 1) {
        log.accept(String.format(Locale.ROOT, "alternating %s and %s batches: %d iterations per epoch (%d and %d"
                + " full batches%s), one optimiser step per batch", batches.sourceOf(0), batches.sourceOf(1),
            batches.iterations(), batches.sources().get(0).batches().batchesPerEpoch(),
            batches.sources().get(1).batches().batchesPerEpoch(), cfg.train().maxSamplesPerEpoch() > 0
                ? ", train.maxSamplesPerEpoch " + cfg.train().maxSamplesPerEpoch() : ""));
      }
      log.accept(String.format(Locale.ROOT, "model: %,d parameters; %d steps per epoch, %d epochs; run dir %s",
          model.params().count(), perEpoch, cfg.train().epochs(), run.path()));
      if (resumed == null && batches.sources().size() > 1) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("step", 0);
        r.put("sources", batches.sources().stream().map(InterleavedBatches.Source::name).toList());
        r.put("iterationsPerEpoch", batches.iterations());
        r.put("stepsPerEpoch", perEpoch);
        r.put("totalSteps", total);
        run.log(r);
      }
      boolean named = batches.sources().size() > 1;
      double[] lastLr = {resumed == null ? Double.NaN : resumed.lastLr()};
      double lastLoss = loop.run(batches, (rec, m, opt) -> {
        progress.update(rec.step(), rec.totalSteps());
        lastLr[0] = rec.lr();
        boolean epochEnd = rec.step() % perEpoch == 0;
        if (rec.step() % cfg.train().logEvery() == 0 || epochEnd || rec.step() == rec.totalSteps()) {
          log.accept(rec.format());
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("step", rec.step());
          r.put("epoch", rec.epoch() + 1);
          if (named) {
            r.put("source", rec.source());
          }
          r.put("loss", rec.loss());
          r.put("lr", rec.lr());
          r.put("gradNorm", rec.gradNorm());
          r.put("samplesPerSecond", rec.samplesPerSecond());
          run.log(r);
        }
        if (epochEnd && data.val() != null) {
          Evaluation.Report rep = Evaluation.run(m, root, data.val(), dc.dataset(), Path.of(dc.valMeta()),
              dc.faithfulHeaderSkip(), null);
          log.accept(String.format(Locale.ROOT, "val epoch %d: t2v R@1 %.2f R@5 %.2f R@10 %.2f MedR %.1f",
              rec.epoch() + 1, rep.metrics().t2v().r1(), rep.metrics().t2v().r5(), rep.metrics().t2v().r10(),
              rep.metrics().t2v().medR()));
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("step", rec.step());
          r.put("epoch", rec.epoch() + 1);
          r.put("val", rep.toJson());
          run.log(r);
        }
        // After this step's metrics lines, so that a resume from here keeps exactly the lines up to here.
        // The last step is left to the final checkpoint below.
        int every = cfg.train().checkpointEvery();
        if (every > 0 && rec.step() % every == 0 && rec.step() < rec.totalSteps()) {
          run.checkpoint(rec.step(), m, new Checkpoints.Resumable(
              state(rec.step(), batches, total, rec.lr(), loop, cfg, data), opt));
        }
      });
      long steps = loop.optimizer().step();
      Path ckpt = run.checkpoint(steps, model,
          new Checkpoints.Resumable(state(steps, batches, total, lastLr[0], loop, cfg, data), null));
      double seconds = (System.nanoTime() - t0) / 1e9;
      long first = resumed == null ? 1 : resumed.step() + 1;
      List<DataFault> skipped = data.skipped();
      if (!skipped.isEmpty()) {
        log.accept(String.format(Locale.ROOT, "skipped %d bad training items (data.maxBadFraction %s):",
            skipped.size(), dc.maxBadFraction()));
        skipped.forEach(f -> log.accept("  " + f));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("step", steps);
        r.put("skipped", skipped.stream().map(DataFault::toJson).toList());
        run.log(r);
      }
      log.accept(String.format(Locale.ROOT, "trained steps %d-%d in %.1f s; checkpoint %s", first, steps, seconds,
          ckpt));
      return new Result(run.path(), ckpt, lastLoss, steps, seconds, List.copyOf(skipped));
    }
  }

  /**
   * The run's batches: the primary source alone, or alternating with {@code data.secondary} (METHOD.md 4.1),
   * each epoch {@link regionvlp.train.TrainConfig#iterationsPerEpoch} iterations long.
   */
  private static InterleavedBatches batches(ExperimentConfig cfg, Splits data) {
    DataConfig dc = cfg.data();
    FrameSampler sampler = new FrameSampler(FrameSampler.Mode.RAND, dc.faithfulSampling());
    List<InterleavedBatches.Source> sources = new ArrayList<>();
    try {
      sources.add(new InterleavedBatches.Source(dc.dataset(), new TrainBatches(data.train(), data.captions(),
          cfg.train().batchSize(), sampler, TrainBatches.sourceSeed(cfg.train().seed(), 0), dc.loaderThreads())));
      if (data.secondary() != null) {
        Secondary s = data.secondary();
        if (s.train().numVideos() < cfg.train().batchSize()) {
          throw new IllegalArgumentException("train.batchSize " + cfg.train().batchSize() + " exceeds the "
              + s.train().numVideos() + " training videos of data.secondary (" + s.dataset() + ")");
        }
        sources.add(new InterleavedBatches.Source(s.dataset(), new TrainBatches(s.train(), s.captions(),
            cfg.train().batchSize(), sampler, TrainBatches.sourceSeed(cfg.train().seed(), 1), dc.loaderThreads())));
      }
      int[] perSource = sources.stream().mapToInt(src -> src.batches().batchesPerEpoch()).toArray();
      return new InterleavedBatches(sources, cfg.train().iterationsPerEpoch(perSource));
    } catch (RuntimeException e) {
      sources.forEach(src -> src.batches().close());
      throw e;
    }
  }

  private static TrainerState state(long step, InterleavedBatches batches, long total, double lr, TrainLoop loop,
      ExperimentConfig cfg, Splits data) {
    int perEpoch = batches.batchesPerEpoch();
    return new TrainerState(TrainerState.FORMAT, step, (int) (step / perEpoch), (int) (step % perEpoch), perEpoch,
        total, lr, loop.epochLossSum(), loop.epochSteps(), cfg.train().seed(), data.trainSha256(),
        data.secondary() == null ? null : data.secondary().trainSha256(),
        step >= total ? null : batches.sourceOf((int) (step % perEpoch)));
  }

  /** Checks that this code computes the same position and schedule as the code that wrote the checkpoint. */
  private static void checkPosition(TrainerState s, int perEpoch, long total, ExperimentConfig cfg, Path runDir) {
    Path file = runDir.resolve("checkpoints").resolve("step-" + s.step()).resolve(Checkpoints.TRAINER_STATE);
    if (s.batchesPerEpoch() != perEpoch || s.totalSteps() != total) {
      throw new InvalidInputFileException(file, String.format(Locale.ROOT, "expected %d batches per epoch and"
          + " %d steps, found %d and %d", perEpoch, total, s.batchesPerEpoch(), s.totalSteps()));
    }
    if (s.seed() != cfg.train().seed()) {
      throw new InvalidInputFileException(file, "expected seed " + cfg.train().seed() + ", found " + s.seed());
    }
    if (s.step() > 0) {
      double lr = cfg.train().lrSchedule().at((int) ((s.step() - 1) / perEpoch), s.step() - 1, total);
      if (lr != s.lastLr()) {
        throw new InvalidInputFileException(file, "the learning rate of step " + s.step() + " was " + s.lastLr()
            + ", but this version's schedule gives " + lr + ": the schedule changed since the checkpoint");
      }
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

  /** A model built from {@code cfg} with both towers from a checkpoint ({@link CheckpointInit}). */
  private static DualEncoder fromCheckpoint(ExperimentConfig cfg, NDManager manager, Path initFrom,
      Consumer<String> log, CheckpointInit.Report[] report) {
    // No MiniLM / HF load: the checkpoint overwrites the text tower anyway.
    DualEncoder model = new DualEncoder(cfg.model(), manager, cfg.train().seed());
    try {
      CheckpointInit.Report r = CheckpointInit.apply(model, cfg.model(), initFrom);
      log.accept("init from " + r.checkpoint() + ": " + r.tensors() + " tensors of both towers; "
          + r.temporalEmbed());
      report[0] = r;
      return model;
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
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
