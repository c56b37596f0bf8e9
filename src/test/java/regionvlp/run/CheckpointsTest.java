package regionvlp.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.InvalidInputFileException;
import regionvlp.model.DualEncoder;

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
}
