package regionvlp.run;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import regionvlp.features.HostBatch;
import regionvlp.model.DualEncoder;
import regionvlp.model.TextEncoderConfig;
import regionvlp.model.VideoEncoderConfig;
import regionvlp.train.TrainLoop;

/**
 * Training-step throughput on synthetic inputs at a preset's shapes (docs/PERFORMANCE.md): the full step
 * of {@link TrainLoop#step} (both towers, the preset's loss terms, backward, the gradient norm, AdamW) on
 * one fixed batch, repeated. Reports the median step time after warm-up, peak RSS, the analytic FLOPs
 * ({@link ModelFlops}), the GEMM peak measured through the engine in the same process, before and after the
 * steps ({@link GemmPeak}), MFU, and whether the number of live native arrays and the RSS stayed flat.
 *
 * <p>The batch mirrors the original-code benchmark's (the reference PyTorch benchmark script {@code bench_train.py}, kept outside this repository):
 * ReLU(normal) features with uniform boxes, 1..N valid regions per frame, captions of 8..S tokens of random
 * word ids between [CLS] and [SEP], zero-padded.
 */
public final class TrainBench {
  private TrainBench() {}

  /**
   * @param preset a preset name or config file, as for {@code regionvlp train --config}
   * @param overrides {@code --set} overrides applied after the preset
   * @param batch samples per step (0 = the preset's batch size)
   * @param steps timed steps
   * @param warmup untimed steps first
   * @param gemmSizes square sizes of the GEMM peak measurement
   * @param profile where to write a PyTorch profiler trace of one extra step (chrome trace JSON), or null
   */
  public record Options(String preset, List<String> overrides, int batch, int steps, int warmup,
      int[] gemmSizes, Path profile) {
    public Options {
      if (steps < 1) {
        throw new IllegalArgumentException("--steps must be >= 1, found " + steps);
      }
      if (warmup < 0) {
        throw new IllegalArgumentException("--warmup must be >= 0, found " + warmup);
      }
      if (batch != 0 && batch < 2) {
        throw new IllegalArgumentException("--batch must be >= 2, found " + batch);
      }
    }
  }

  /** Learning rate of every step: the original benchmark's, small enough that nothing diverges. */
  static final double LR = 1e-5;

  /** Runs the benchmark; progress lines go to {@code log}. Returns the JSON report. */
  public static Map<String, Object> run(Options o, Consumer<String> log) {
    ExperimentConfig cfg = ConfigLoader.load(o.preset(), o.overrides());
    int b = o.batch() == 0 ? cfg.train().batchSize() : o.batch();
    int f = cfg.data().numFrames();
    int n = cfg.data().numRegions();
    int s = cfg.model().text().maxLength();
    ModelFlops flops = ModelFlops.perSample(cfg.model(), f, n, s, b, cfg.loss().useLocal());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("bench", "train");
    out.put("preset", o.preset());
    out.put("overrides", o.overrides());
    out.put("batch", b);
    out.put("frames", f);
    out.put("regions", n);
    out.put("tokens", s);
    out.put("loss", cfg.loss().useLocal() ? (cfg.loss().useGlobal() ? "global+rwa" : "rwa") : "global");
    Engine.getInstance(); // loads the natives (and applies ai.djl.pytorch.num_threads) before JniUtils use
    out.put("threads", Map.of("intraOp", JniUtils.getNumThreads(), "interOp", JniUtils.getNumInteropThreads()));
    VideoEncoderConfig v = cfg.model().video();
    TextEncoderConfig t = cfg.model().text();
    out.put("model", String.format(Locale.ROOT, "video %dx%d (D %d, MLP %d), text %dx%d (FFN %d), E %d",
        v.depth(), v.width(), v.featureDim(), v.mlpDim(), t.depth(), t.width(), t.ffnDim(),
        cfg.model().embedDim()));

    try (NDManager root = NDManager.newBaseManager()) {
      GemmPeak.Result peakBefore = GemmPeak.measure(root, o.gemmSizes(), 5);
      log.accept(String.format(Locale.ROOT, "GEMM peak %.1f GFLOP/s %s", peakBefore.gflops(),
          peakBefore.perSize()));
      try (DualEncoder model = Training.initialModel(cfg, root)) {
        TrainLoop loop = new TrainLoop(model, cfg.train(), cfg.loss(), root);
        HostBatch batch = syntheticBatch(b, f, n, v.featureDim() + VideoEncoderConfig.BOX_DIM, s, t.vocabSize(),
            cfg.train().seed());
        log.accept(String.format(Locale.ROOT, "%s: batch %d, %d frames x %d regions, %d tokens; %,d parameters;"
            + " %.2f GFLOP/sample (train)", o.preset(), b, f, n, s, model.params().count(), flops.train() / 1e9));
        out.put("parameters", model.params().count());
        double[] ms = new double[o.steps()];
        List<Double> losses = new ArrayList<>();
        int[] arrays = new int[o.steps()];
        double[] rssMb = new double[o.steps()];
        double[] heapMb = new double[o.steps()]; // the JVM heap's committed size: part of the RSS
        long[] faults = new long[o.steps()];
        double[] cpuMs = new double[o.steps()];
        double[] updateMs = new double[o.steps()];
        for (int i = 0; i < o.warmup() + o.steps(); i++) {
          long f0 = minorFaults();
          long c0 = cpuTicks();
          long t0 = System.nanoTime();
          TrainLoop.StepResult res = loop.step(batch, LR);
          double stepMs = (System.nanoTime() - t0) / 1e6;
          if (!Double.isFinite(res.loss())) {
            throw new IllegalStateException("loss became " + res.loss() + " at step " + (i + 1));
          }
          int timed = i - o.warmup();
          if (timed >= 0) {
            ms[timed] = stepMs;
            faults[timed] = minorFaults() - f0;
            cpuMs[timed] = (cpuTicks() - c0) * 10.0; // USER_HZ = 100
            losses.add(res.loss());
            updateMs[timed] = res.updateNanos() / 1e6;
            arrays[timed] = root.getManagedArrays().size();
            rssMb[timed] = status("VmRSS") / 1024.0;
            heapMb[timed] = Runtime.getRuntime().totalMemory() / 1048576.0;
          }
          if (o.steps() + o.warmup() <= 50 || (i + 1) % 50 == 0 || timed == o.steps() - 1) {
            log.accept(String.format(Locale.ROOT, "step %d %s %.0f ms (AdamW %.0f ms)  loss %.4f  gradNorm %.3f",
                i + 1, timed < 0 ? "warm-up" : "timed", stepMs, res.updateNanos() / 1e6, res.loss(),
                res.gradNorm()));
          }
        }
        if (o.profile() != null) {
          profileOneStep(loop, batch, o.profile(), log);
        }
        GemmPeak.Result peakAfter = GemmPeak.measure(root, o.gemmSizes(), 5);
        log.accept(String.format(Locale.ROOT, "GEMM peak after %.1f GFLOP/s", peakAfter.gflops()));
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        double sps = b / (median / 1e3);
        double achieved = sps * flops.train() / 1e9;
        double peak = Math.max(peakBefore.gflops(), peakAfter.gflops());
        out.put("msPerStep", round(median, 1));
        out.put("msPerStepMin", round(sorted[0], 1));
        out.put("msPerStepMax", round(sorted[sorted.length - 1], 1));
        out.put("samplesPerSecond", round(sps, 3));
        long[] fs = faults.clone();
        Arrays.sort(fs);
        out.put("pageFaultsPerStep", fs[fs.length / 2]);
        double[] cs = cpuMs.clone();
        Arrays.sort(cs);
        out.put("cpuMsPerStep", round(cs[cs.length / 2], 0));
        double[] us = updateMs.clone();
        Arrays.sort(us);
        out.put("adamWMsPerStep", round(us[us.length / 2], 1));
        out.put("steps", o.steps());
        out.put("warmup", o.warmup());
        out.put("lossFirst", round(losses.get(0), 4));
        out.put("lossLast", round(losses.get(losses.size() - 1), 4));
        Map<String, Object> fl = new LinkedHashMap<>();
        fl.put("video", round(flops.video() / 1e9, 3));
        fl.put("text", round(flops.text() / 1e9, 3));
        fl.put("rwa", round(flops.rwa() / 1e9, 3));
        fl.put("forward", round(flops.forward() / 1e9, 3));
        fl.put("train", round(flops.train() / 1e9, 3));
        out.put("gflopPerSample", fl);
        // Three decimals: tiny shapes (tests, smoke runs) measure well under 0.1 GFLOP/s.
        out.put("achievedGflops", round(achieved, 3));
        out.put("gemmPeakGflops", Map.of("before", round(peakBefore.gflops(), 3), "after",
            round(peakAfter.gflops(), 3), "used", round(peak, 3)));
        out.put("mfu", round(achieved / peak, 3));
        out.put("peakRssMb", Math.round(status("VmHWM") / 1024.0));
        Map<String, Object> flat = new LinkedHashMap<>();
        flat.put("arraysFirst", arrays[0]);
        flat.put("arraysLast", arrays[arrays.length - 1]);
        flat.put("arraysMin", Arrays.stream(arrays).min().getAsInt());
        flat.put("arraysMax", Arrays.stream(arrays).max().getAsInt());
        flat.put("rssMbFirst", Math.round(rssMb[0]));
        flat.put("rssMbMid", Math.round(rssMb[rssMb.length / 2]));
        flat.put("rssMbLast", Math.round(rssMb[rssMb.length - 1]));
        flat.put("rssMbMax", Math.round(Arrays.stream(rssMb).max().getAsDouble()));
        // After each tenth of the timed steps: where growth happens, and how much of it is the Java heap.
        List<Long> rssTenths = new ArrayList<>();
        List<Long> heapTenths = new ArrayList<>();
        for (int tenth = 1; tenth <= 10; tenth++) {
          int at = Math.max(0, (int) ((long) rssMb.length * tenth / 10) - 1);
          rssTenths.add(Math.round(rssMb[at]));
          heapTenths.add(Math.round(heapMb[at]));
        }
        flat.put("rssMbByTenth", rssTenths);
        flat.put("jvmHeapCommittedMbByTenth", heapTenths);
        out.put("flatness", flat);
      }
    }
    out.put("engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
    out.put("nativeMemory", NativeMemory.applied());
    out.put("mklIntelPath", MklDispatch.intelPathForced());
    return out;
  }

  /** One more step under PyTorch's profiler; the trace (chrome format) goes to {@code file}. */
  private static void profileOneStep(TrainLoop loop, HostBatch batch, Path file, Consumer<String> log) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot create the folder of " + file, e);
    }
    JniUtils.startProfile(false, true, false);
    try {
      loop.step(batch, LR);
    } finally {
      JniUtils.stopProfile(file.toAbsolutePath().toString());
    }
    log.accept("profiler trace of one step: " + file);
  }

  /** The fixed synthetic batch (see the class comment). */
  static HostBatch syntheticBatch(int b, int f, int n, int regionDim, int s, int vocab, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int featureDim = regionDim - VideoEncoderConfig.BOX_DIM;
    float[] regions = new float[b * f * n * regionDim];
    float[] mask = new float[b * f * n];
    for (int clip = 0; clip < b * f; clip++) {
      int valid = 1 + rnd.nextInt(n);
      for (int r = 0; r < n; r++) {
        int base = (clip * n + r) * regionDim;
        for (int k = 0; k < featureDim; k++) {
          regions[base + k] = (float) Math.max(0, gaussian(rnd));
        }
        for (int k = featureDim; k < regionDim; k++) {
          regions[base + k] = (float) rnd.nextDouble();
        }
        mask[clip * n + r] = r < valid ? 1f : 0f;
      }
    }
    long[] ids = new long[b * s];
    long[] textMask = new long[b * s];
    int firstWord = vocab > 2000 ? 1000 : Math.min(103, vocab - 1); // BERT's word ids start near 1000
    for (int i = 0; i < b; i++) {
      int len = Math.min(s, 8 + rnd.nextInt(Math.max(1, s - 7)));
      for (int j = 0; j < len; j++) {
        ids[i * s + j] = j == 0 ? 101 : j == len - 1 ? 102 : firstWord + rnd.nextInt(vocab - firstWord);
        textMask[i * s + j] = 1;
      }
    }
    return new HostBatch(b, f, n, regionDim, regions, mask, s, ids, textMask);
  }

  private static double gaussian(SplittableRandom rnd) {
    return Math.sqrt(-2.0 * Math.log(1.0 - rnd.nextDouble())) * Math.cos(2.0 * Math.PI * rnd.nextDouble());
  }

  /** A /proc/self/status field in kB (VmRSS, VmHWM), or -1 where there is no /proc. */
  static long status(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** Minor page faults of this process so far (/proc/self/stat field 10), or -1 where there is no /proc. */
  static long minorFaults() {
    return statField(10);
  }

  /** User + system CPU time of this process so far, in clock ticks (fields 14 and 15). */
  static long cpuTicks() {
    return statField(14) + statField(15);
  }

  private static long statField(int field) {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[field - 3]); // f[0] is field 3 (state), after "pid (comm)"
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static double round(double x, int digits) {
    double p = Math.pow(10, digits);
    return Math.round(x * p) / p;
  }
}
