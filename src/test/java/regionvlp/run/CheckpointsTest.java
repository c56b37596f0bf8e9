package regionvlp.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.InvalidInputFileException;
import regionvlp.model.DualEncoder;
import regionvlp.train.AdamW;

class CheckpointsTest {
  static ExperimentConfig tiny() {
    return ConfigLoader.load("quickstart", List.of("model.video.featureDim=8", "model.video.width=16",
        "model.video.mlpDim=24", "model.video.numHeads=2", "model.text.width=16", "model.text.ffnDim=24",
        "model.text.numHeads=2", "model.text.vocabSize=64", "model.text.init=RANDOM", "model.text.depth=2", "model.text.maxPositions=64", "model.embedDim=12", "train.seed=5"));
  }

  @Test
  void saveThenLoadGivesIdenticalOutputs(@TempDir Path dir) {
    ExperimentConfig cfg = tiny();
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(cfg.model(), m, 123)) {
      Path ckpt = dir.resolve("ckpt");
      Checkpoints.save(ckpt, model, cfg, Provenance.capture(123, "{}"));
      assertThat(ckpt.resolve(Checkpoints.WEIGHTS)).exists();
      assertThat(ckpt.resolve(Checkpoints.CONFIG)).exists();
      assertThat(ckpt.resolve(Checkpoints.PROVENANCE)).exists();
      // Loading rebuilds from config.json with a different init seed; the weights must overwrite all of it.
      Checkpoints.Loaded loaded = Checkpoints.load(ckpt, m);
      try (DualEncoder back = loaded.model()) {
        assertThat(loaded.config()).isEqualTo(cfg);
        float[] x = new float[2 * 4 * 30 * 14];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) Math.sin(i);
        }
        float[] mask = new float[2 * 4 * 30];
        java.util.Arrays.fill(mask, 1f);
        NDArray xa = m.create(x, new Shape(2, 4, 30, 14));
        NDArray ma = m.create(mask, new Shape(2, 4, 30));
        assertThat(back.encodeVideo(xa, ma).global().toFloatArray())
            .containsExactly(model.encodeVideo(xa, ma).global().toFloatArray());
        NDArray ids = m.create(new long[] {3, 7, 9, 4, 0, 0}, new Shape(1, 6));
        NDArray tm = m.create(new long[] {1, 1, 1, 1, 0, 0}, new Shape(1, 6));
        assertThat(back.encodeText(ids, tm).global().toFloatArray())
            .containsExactly(model.encodeText(ids, tm).global().toFloatArray());
      }
    }
  }

  @Test
  void aFolderWithoutWeightsIsRefusedWithItsPath(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("empty"));
    try (NDManager m = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> Checkpoints.load(dir.resolve("empty"), m))
          .isInstanceOf(InvalidInputFileException.class)
          .hasMessageContaining("empty")
          .hasMessageContaining(Checkpoints.WEIGHTS);
    }
  }

  @Test
  void optimizerStateRoundTripsExactlyAndAWeightsOnlyCheckpointIsNotResumable(@TempDir Path dir) throws Exception {
    ExperimentConfig cfg = tiny();
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(cfg.model(), m, 7)) {
      AdamW opt = new AdamW(model.params().all(), 0.9, 0.999, 1e-6, 0.01);
      Map<String, float[]> first = new LinkedHashMap<>();
      Map<String, float[]> second = new LinkedHashMap<>();
      java.util.SplittableRandom r = new java.util.SplittableRandom(3);
      model.params().all().forEach((name, p) -> {
        float[] a = new float[(int) p.size()];
        float[] b = new float[a.length];
        for (int i = 0; i < a.length; i++) {
          a[i] = (float) r.nextGaussian();
          b[i] = (float) Math.abs(r.nextGaussian()) * 1e-7f; // tiny values: their bits must survive too
        }
        first.put(name, a);
        second.put(name, b);
      });
      opt.restore(42, first, second);
      TrainerState state = new TrainerState(TrainerState.FORMAT, 42, 3, 2, 10, 100, 1.5e-4, 12.25, 2, 5, "abc", null, "tsv");
      Path ckpt = dir.resolve("step-42");
      Checkpoints.save(ckpt, model, cfg, Provenance.capture(5, "{}"), new Checkpoints.Resumable(state, opt));

      assertThat(Checkpoints.readTrainerState(ckpt)).isEqualTo(state);
      AdamW back = new AdamW(model.params().all(), 0.9, 0.999, 1e-6, 0.01);
      Checkpoints.restoreOptimizer(ckpt, back, 42);
      assertThat(back.step()).isEqualTo(42);
      for (String name : first.keySet()) {
        assertThat(back.firstMoments().get(name).toFloatArray()).as(name).containsExactly(first.get(name));
        assertThat(back.secondMoments().get(name).toFloatArray()).as(name).containsExactly(second.get(name));
      }
      assertThatThrownBy(() -> Checkpoints.restoreOptimizer(ckpt, back, 41))
          .isInstanceOf(InvalidInputFileException.class)
          .hasMessageContaining(Checkpoints.OPTIMIZER)
          .hasMessageContaining("optimizer step 42 differs from step 41");
      try (java.util.stream.Stream<Path> s = Files.list(dir)) {
        assertThat(s.map(p -> p.getFileName().toString())).containsExactly("step-42"); // no temporary left
      }

      Path weightsOnly = dir.resolve("final");
      Checkpoints.save(weightsOnly, model, cfg, Provenance.capture(5, "{}"));
      assertThatThrownBy(() -> Checkpoints.readTrainerState(weightsOnly))
          .isInstanceOf(InvalidInputFileException.class)
          .hasMessageContaining("final")
          .hasMessageContaining(Checkpoints.TRAINER_STATE);
      assertThatThrownBy(() -> Checkpoints.restoreOptimizer(weightsOnly, back, 42))
          .isInstanceOf(InvalidInputFileException.class)
          .hasMessageContaining(Checkpoints.OPTIMIZER);
    }
  }

  @Test
  void optimizerMomentsForOtherParametersAreRefusedWithTheirNames(@TempDir Path dir) {
    ExperimentConfig cfg = tiny();
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(cfg.model(), m, 7)) {
      AdamW opt = new AdamW(model.params().all(), 0.9, 0.999, 1e-6, 0.01);
      Map<String, float[]> first = new LinkedHashMap<>();
      model.params().all().forEach((name, p) -> first.put(name, new float[(int) p.size()]));
      Map<String, float[]> second = new LinkedHashMap<>(first);
      second.put("not.a.param", new float[1]);
      assertThatThrownBy(() -> opt.restore(1, first, second))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("unexpected [not.a.param]");
      String some = first.keySet().iterator().next();
      Map<String, float[]> shortOne = new LinkedHashMap<>(first);
      shortOne.put(some, new float[1]);
      assertThatThrownBy(() -> opt.restore(1, shortOne, first))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(some)
          .hasMessageContaining("found 1");
    }
  }
}
