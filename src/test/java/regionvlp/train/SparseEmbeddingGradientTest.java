package regionvlp.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import regionvlp.model.Params;

/**
 * The word-embedding table gets sparse (COO) gradients (TextEncoder); with the dense buffer that
 * {@link Params#denseGradient} puts in place, they must land in it as the dense lookup's gradient would,
 * stay dense, and be cleared by the optimiser so that steps never accumulate.
 */
class SparseEmbeddingGradientTest {
  @Test
  void cooLookupGradientEqualsTheDenseOneAndDoesNotAccumulate() {
    long[] ids = {3, 1, 3, 7, 0, 3}; // a repeated id, and rows 2, 4, 5, 6, 8, 9 never looked up
    try (NDManager root = NDManager.newBaseManager();
        Params sparse = new Params(root, 1);
        Params dense = new Params(root, 1)) {
      NDArray ws = sparse.normal("w", 1.0, 10, 4);
      NDArray wd = dense.normal("w", 1.0, 10, 4); // same seed: same values
      sparse.denseGradient("w");
      AdamW opt = new AdamW(sparse.all(), 0.9, 0.999, 1e-6, 0);
      float[] first = null;
      for (int step = 0; step < 2; step++) {
        try (NDManager sub = root.newSubManager()) {
          NDArray idx = sub.create(ids, new Shape(2, 3));
          NDArray coef = sub.arange(0f, 24f, 1f, DataType.FLOAT32).reshape(2, 3, 4); // distinct weights
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(Embedding.embedding(idx, ws, SparseFormat.COO).singletonOrThrow().mul(coef).sum());
          }
          if (step == 0) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
              gc.backward(Embedding.embedding(idx, wd, SparseFormat.DENSE).singletonOrThrow().mul(coef).sum());
            }
          }
        }
        try (NDArray g = ws.getGradient()) {
          assertThat(g.isSparse()).as("gradient buffer stays dense (step %d)", step).isFalse();
          float[] got = g.toFloatArray();
          if (first == null) {
            first = got;
            try (NDArray want = wd.getGradient()) {
              assertThat(got).as("COO-path gradient = dense-lookup gradient").containsExactly(want.toFloatArray());
            }
            assertThat(got[2 * 4]).as("a row never looked up").isZero();
            assertThat(got[3 * 4]).as("row 3, looked up three times: 0 + 8 + 20").isEqualTo(28f);
          } else {
            assertThat(got).as("the second step's gradient, after the optimiser cleared the first").containsExactly(first);
          }
        }
        opt.update(0.0); // lr 0: values unchanged, gradient cleared
      }
    }
  }
}
