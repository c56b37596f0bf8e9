package regionvlp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.Safetensors;
import regionvlp.data.synth.SynthConfig;
import regionvlp.data.synth.SynthVid;
import regionvlp.model.DualEncoder;
import regionvlp.run.Checkpoints;
import regionvlp.run.Json;
import regionvlp.run.Provenance;
import regionvlp.run.TrainerState;
import regionvlp.train.AdamW;

/**
 * Acceptance test of exact resume (issue 4). Training runs as a real separate JVM ({@code regionvlp.cli.Main}
 * on this test's class path), is killed with SIGKILL ({@link Process#destroyForcibly()}), at whatever point
 * it has reached mid-run and at the two dangerous points of a checkpoint write, and is continued with
 * {@code train --resume} in another JVM. Every checkpoint left behind must be readable, and the final
 * weights must equal, bit for bit, those of a run with the same seed that was never interrupted.
 *
 * <p>Every JVM runs PyTorch with one intra-op and one inter-op thread, so that all of them execute the
 * same kernels in the same order (a different thread count may change the float reduction order).
 */
class ResumeAfterKillTest {
  /** 32 training videos, batch 4: 8 steps per epoch, 2 epochs, a checkpoint every 4 steps. */
  static final int TOTAL_STEPS = 16;
  static final int CHECKPOINT_EVERY = 4;
  /** Generous upper bound so that a wedged child fails the test instead of hanging the build. */
  static final long CHILD_TIMEOUT_SECONDS = 300;
  /** SIGKILL: 128 + 9. */
  static final int KILLED = 137;

  @TempDir static Path dir;
  static Path data;
  static Path config;
  static Map<String, float[]> reference;
  static Map<Long, Double> referenceLoss;

  @BeforeAll
  static void corpusAndUninterruptedRun() throws Exception {
    data = dir.resolve("data");
    SynthVid.generate(SynthConfig.defaults().withSeed(4).withTrainVideos(32).withValVideos(0).withTestVideos(4)
        .withFeatureDim(16).withThreads(2), data, SynthVid.Progress.none());
    config = dir.resolve("tiny.json");
    Files.writeString(config, """
        {"preset": "quickstart",
         "model": {"video": {"featureDim": 16, "width": 32, "mlpDim": 64},
                   "text": {"width": 32, "ffnDim": 64, "maxLength": 24, "init": "RANDOM", "maxPositions": 64,
                            "depth": 2, "numHeads": 4}},
         "train": {"batchSize": 4, "epochs": 2, "warmupSteps": 3, "logEvery": 1, "checkpointEvery": %d,
                   "seed": 11}}
        """.formatted(CHECKPOINT_EVERY));
    Path run = dir.resolve("uninterrupted");
    Child c = train(run, List.of());
    assertThat(c.waitForExit()).as(c.log()).isZero();
    reference = weights(run.resolve("checkpoints").resolve("step-" + TOTAL_STEPS));
    referenceLoss = lossByStep(run);
    assertThat(referenceLoss.keySet()).hasSize(TOTAL_STEPS);
  }

  /**
   * Killed at whatever step it has reached mid-run; then the resumed process is killed too, at the most
   * delicate moment of its next checkpoint: the folder is in place but {@code last} still names the older
   * one (a test-only hook, {@code regionvlp.test.haltAt}, blocks it exactly there); then resumed again.
   */
  @Test
  void killedMidRunAndAgainBeforeLastIsUpdatedThenResumedGivesTheUninterruptedWeightsBitForBit() throws Exception {
    Path run = dir.resolve("killed");
    Child c = train(run, List.of());
    // Kill once a checkpoint exists and training has moved past it (logEvery 1: one metrics line per step).
    c.awaitWhileAlive(() -> Files.exists(run.resolve("checkpoints/last")) && loggedSteps(run) > CHECKPOINT_EVERY);
    c.kill();
    long killedAt = lastStep(run);
    assertThat(killedAt).as("killed mid-run").isLessThan(TOTAL_STEPS);
    assertEveryCheckpointReadable(run);

    String next = "step-" + (killedAt + CHECKPOINT_EVERY); // periodic, or the final one
    Child h = resume(run, List.of("-Dregionvlp.test.haltAt=before-last:" + next));
    h.awaitWhileAlive(() -> h.log().contains("halted at before-last"));
    h.kill();
    assertThat(h.log()).contains("from step-" + killedAt);
    assertThat(lastStep(run)).isEqualTo(killedAt);
    assertThat(run.resolve("checkpoints").resolve(next).resolve(Checkpoints.TRAINER_STATE)).exists();
    assertEveryCheckpointReadable(run);

    Child r = resume(run, List.of());
    assertThat(r.waitForExit()).as(r.log()).isZero();
    assertThat(r.log()).contains("from step-" + killedAt).contains("removing " + run.resolve("checkpoints").resolve(next));
    assertSameAsUninterrupted(run);
    Provenance p = Provenance.read(run.resolve("provenance.json"));
    assertThat(p.resumes()).hasSize(2).allSatisfy(e -> {
      assertThat(e.step()).isEqualTo(killedAt);
      assertThat(e.checkpoint()).isEqualTo("checkpoints/step-" + killedAt);
    });
  }

  /**
   * Killed while writing a checkpoint, with every file of it written and synced in its temporary folder
   * but the folder not yet renamed into place (the test-only hook blocks it there).
   */
  @Test
  void killedBeforeANewCheckpointIsRenamedIntoPlaceLeavesLastOnTheOldOne() throws Exception {
    Path run = dir.resolve("halted-before-rename");
    String halted = "step-" + 2 * CHECKPOINT_EVERY;
    Child c = train(run, List.of("-Dregionvlp.test.haltAt=before-rename:" + halted));
    c.awaitWhileAlive(() -> c.log().contains("halted at before-rename"));
    c.kill();

    Path ckpts = run.resolve("checkpoints");
    assertThat(Files.readString(ckpts.resolve("last")).trim()).isEqualTo("step-" + CHECKPOINT_EVERY);
    // Really killed mid-write: the new checkpoint's files exist, but only in the temporary folder.
    assertThat(ckpts.resolve(halted)).doesNotExist();
    List<Path> temp = listing(ckpts).stream().filter(p -> p.getFileName().toString().startsWith(".")).toList();
    assertThat(temp).singleElement().satisfies(t -> {
      assertThat(t.getFileName().toString()).startsWith("." + halted + ".");
      assertThat(t.resolve(Checkpoints.OPTIMIZER)).exists();
    });
    assertEveryCheckpointReadable(run);

    Child r = resume(run, List.of());
    assertThat(r.waitForExit()).as(r.log()).isZero();
    assertThat(r.log()).contains("from step-" + CHECKPOINT_EVERY);
    assertThat(listing(ckpts)).noneMatch(p -> p.getFileName().toString().startsWith("."));
    assertSameAsUninterrupted(run);
  }

  /** Every checkpoint folder present loads (weights, trainer state, optimizer) and {@code last} names one. */
  static void assertEveryCheckpointReadable(Path run) throws IOException {
    Path ckpts = run.resolve("checkpoints");
    List<Path> folders = listing(ckpts).stream().filter(p -> p.getFileName().toString().startsWith("step-"))
        .toList();
    assertThat(folders).isNotEmpty();
    assertThat(folders).contains(ckpts.resolve(Files.readString(ckpts.resolve("last")).trim()));
    try (NDManager m = NDManager.newBaseManager()) {
      for (Path f : folders) {
        Checkpoints.Loaded loaded = Checkpoints.load(f, m);
        try (DualEncoder model = loaded.model()) {
          TrainerState s = Checkpoints.readTrainerState(f);
          assertThat(f.getFileName().toString()).isEqualTo("step-" + s.step());
          AdamW opt = new AdamW(model.params().all(), 0.9, 0.999, 1e-6, 0);
          Checkpoints.restoreOptimizer(f, opt, s.step());
          assertThat(opt.step()).isEqualTo(s.step());
        }
      }
    }
  }

  static void assertSameAsUninterrupted(Path run) throws IOException {
    assertSameWeights(reference, run.resolve("checkpoints").resolve("step-" + TOTAL_STEPS));
    // metrics.jsonl: each step exactly once, with the loss of the uninterrupted run.
    assertThat(lossByStep(run)).isEqualTo(referenceLoss);
  }

  /** Bitwise equality of every tensor; on failure, names the tensors that differ and the max abs diff. */
  static void assertSameWeights(Map<String, float[]> expected, Path ckpt) {
    Map<String, float[]> w = weights(ckpt);
    assertThat(w.keySet()).isEqualTo(expected.keySet());
    double maxDiff = 0;
    List<String> differing = new ArrayList<>();
    for (String name : expected.keySet()) {
      float[] a = expected.get(name);
      float[] b = w.get(name);
      boolean same = true;
      for (int i = 0; i < a.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        same &= Float.floatToRawIntBits(a[i]) == Float.floatToRawIntBits(b[i]);
      }
      if (!same) {
        differing.add(name);
      }
    }
    assertThat(differing).as("tensors of %s not bitwise equal to the reference (max abs diff %s)", ckpt, maxDiff)
        .isEmpty();
  }

  static Map<String, float[]> weights(Path ckpt) {
    Map<String, float[]> out = new TreeMap<>();
    Safetensors.read(ckpt.resolve(Checkpoints.WEIGHTS)).tensors().forEach((k, v) -> out.put(k, v.values()));
    return out;
  }

  /** Step to loss from metrics.jsonl, failing on a step logged twice. */
  static Map<Long, Double> lossByStep(Path run) throws IOException {
    Map<Long, Double> out = new TreeMap<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = Json.MAPPER.readTree(line);
      Double before = out.put(n.path("step").asLong(), n.path("loss").asDouble());
      assertThat(before).as("step %s logged twice in %s", n.path("step"), run).isNull();
    }
    return out;
  }

  static long loggedSteps(Path run) {
    try {
      return Files.readAllLines(run.resolve("metrics.jsonl")).size();
    } catch (IOException e) {
      return 0; // not created yet
    }
  }

  static long lastStep(Path run) throws IOException {
    return Long.parseLong(Files.readString(run.resolve("checkpoints/last")).trim().substring("step-".length()));
  }

  static List<Path> listing(Path folder) throws IOException {
    try (Stream<Path> s = Files.list(folder)) {
      return s.sorted().toList();
    }
  }

  static Child train(Path run, List<String> jvmArgs) throws IOException {
    return Child.start(run.getFileName() + "-train", jvmArgs, "train", "--config", config.toString(),
        "--set", "data.features=" + data.resolve("features"), "--set", "data.trainMeta=" + data.resolve("train.tsv"),
        "--out", run.toString());
  }

  static Child resume(Path run, List<String> jvmArgs) throws IOException {
    return Child.start(run.getFileName() + "-resume-" + System.nanoTime(), jvmArgs, "train", "--resume",
        run.toString());
  }

  /** A {@code regionvlp} JVM with its stdout and stderr in files. */
  record Child(Process process, Path out, Path err) {
    static Child start(String name, List<String> jvmArgs, String... args) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-Xmx256m");
      // Only start-up cost: Java float arithmetic is IEEE-exact whatever the JIT tier.
      cmd.add("-XX:TieredStopAtLevel=1");
      cmd.add("-Dai.djl.offline=true");
      cmd.add("-Dai.djl.pytorch.num_threads=1");
      cmd.add("-Dai.djl.pytorch.num_interop_threads=1");
      cmd.addAll(jvmArgs);
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add("regionvlp.cli.Main");
      cmd.addAll(List.of(args));
      Path out = dir.resolve(name + ".out");
      Path err = dir.resolve(name + ".err");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().put("OMP_NUM_THREADS", "1");
      pb.environment().put("OPT_OUT_TRACKING", "true");
      return new Child(pb.start(), out, err);
    }

    String log() {
      try {
        return Files.readString(err, StandardCharsets.UTF_8) + Files.readString(out, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    int waitForExit() throws InterruptedException {
      if (!process.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        fail("child did not finish within " + CHILD_TIMEOUT_SECONDS + " s: " + log());
      }
      return process.exitValue();
    }

    /** Polls {@code condition} while the child runs; fails if the child exits first. */
    void awaitWhileAlive(BooleanSupplier condition) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_TIMEOUT_SECONDS);
      while (!condition.getAsBoolean()) {
        if (!process.isAlive()) {
          fail("child exited (" + process.exitValue() + ") before the kill point: " + log());
        }
        if (System.nanoTime() > deadline) {
          process.destroyForcibly();
          fail("kill point not reached within " + CHILD_TIMEOUT_SECONDS + " s: " + log());
        }
        Thread.sleep(5);
      }
    }

    /** SIGKILL, and proof that it was the kill that ended the process. */
    void kill() throws InterruptedException {
      assertThat(process.isAlive()).as("alive when killed: " + log()).isTrue();
      process.destroyForcibly();
      assertThat(process.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).as(log()).isEqualTo(KILLED);
    }
  }
}
