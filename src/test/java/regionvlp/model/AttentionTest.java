package regionvlp.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * The one-frame shortcut of the space attention against its general per-frame form (which the golden
 * test checks against the original ObjectTransformer at two frames): with one frame both give every query
 * the same key set, {CLS} + the frame's regions, in the same order.
 */
class AttentionTest {
  @Test
  void oneFrameShortcutEqualsThePerFrameForm() {
    int b = 3;
    int heads = 2;
    int r = 5;
    int dh = 4;
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(7);
      NDArray q = m.randomNormal(0, 1, new Shape(b, heads, 1 + r, dh), DataType.FLOAT32);
      NDArray k = m.randomNormal(0, 1, new Shape(b, heads, 1 + r, dh), DataType.FLOAT32);
      NDArray v = m.randomNormal(0, 1, new Shape(b, heads, 1 + r, dh), DataType.FLOAT32);
      // Two padded regions in the first clip, one in the second, none in the third.
      NDArray regionMask = m.create(new float[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1}, new Shape(b, 1, r));
      Attention.Masks masks = Attention.spaceMasks(regionMask.sub(1f).mul(100f));
      float[] whole = Attention.wholeSequence(q, k, v, masks).toFloatArray();
      float[] perFrame = Attention.perFrame(q, k, v, 1, r, masks).toFloatArray();
      assertThat(whole).hasSize(b * heads * (1 + r) * dh);
      for (int i = 0; i < whole.length; i++) {
        assertThat(Math.abs(whole[i] - perFrame[i])).as("element %d", i).isLessThan(1e-6f);
      }
    }
  }
}
