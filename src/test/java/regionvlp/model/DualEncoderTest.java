package regionvlp.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Engine tests of the two towers on tiny, odd shapes (batch 3, frames 2, regions 5, width 16, 2 heads). */
class DualEncoderTest {
  static final long SEED = 7;
  static final ModelConfig CFG = new ModelConfig(
      new VideoEncoderConfig(8, 16, 2, 2, 24, 2, 5, 0.02),
      new TextEncoderConfig(50, 16, 2, 2, 24, 12, 7, 0.02, TextEncoderConfig.Init.RANDOM, "",
          TextEncoderConfig.LN_EPS, TextEncoderConfig.Activation.GELU),
      12);

  static float[] randomRegions(SplittableRandom r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextDouble(-1, 1);
    }
    return v;
  }

  static float maxAbsDiff(float[] a, float[] b) {
    float m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  @Test
  void paddedRegionsDoNotChangeTheVideoEmbedding() {
    SplittableRandom r = new SplittableRandom(SEED);
    int b = 3, f = 2, n = 5, dim = 8 + 6;
    float[] regions = randomRegions(r, b * f * n * dim);
    float[] mask = new float[b * f * n];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = (i % n) < 3 ? 1 : 0; // regions 3 and 4 of every frame are padding
    }
    float[] altered = regions.clone();
    for (int i = 0; i < b * f * n; i++) {
      if (mask[i] == 0) {
        for (int d = 0; d < dim; d++) {
          altered[i * dim + d] = (float) r.nextDouble(-50, 50);
        }
      }
    }
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(CFG, m, SEED)) {
      Shape shape = new Shape(b, f, n, dim);
      NDArray maskArr = m.create(mask, new Shape(b, f, n));
      float[] g1 = model.encodeVideo(m.create(regions, shape), maskArr).global().toFloatArray();
      float[] g2 = model.encodeVideo(m.create(altered, shape), maskArr).global().toFloatArray();
      assertThat(maxAbsDiff(g1, g2)).as("max |diff| of global embeddings (seed %d)", SEED).isLessThan(1e-6f);
      // Sanity: changing a real region does change it, so the check above can fail.
      float[] real = regions.clone();
      real[0] += 5f;
      float[] g3 = model.encodeVideo(m.create(real, shape), maskArr).global().toFloatArray();
      assertThat(maxAbsDiff(g1, g3)).isGreaterThan(1e-3f);
    }
  }

  @Test
  void aBatchEncodesTheSameAsItsItemsOneAtATime() {
    SplittableRandom r = new SplittableRandom(SEED + 1);
    int b = 3, f = 2, n = 5, dim = 14, l = 7;
    float[] regions = randomRegions(r, b * f * n * dim);
    float[] mask = new float[b * f * n];
    for (int i = 0; i < mask.length; i++) {
      mask[i] = r.nextInt(4) == 0 && i % n != 0 ? 0 : 1;
    }
    long[] ids = new long[b * l];
    long[] tmask = new long[b * l];
    for (int i = 0; i < b; i++) {
      int len = 3 + i;
      for (int t = 0; t < len; t++) {
        ids[i * l + t] = 1 + r.nextInt(49);
        tmask[i * l + t] = 1;
      }
    }
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(CFG, m, SEED)) {
      NDArray x = m.create(regions, new Shape(b, f, n, dim));
      NDArray xm = m.create(mask, new Shape(b, f, n));
      NDArray ti = m.create(ids, new Shape(b, l));
      NDArray tm = m.create(tmask, new Shape(b, l));
      VideoEmbeddings vb = model.encodeVideo(x, xm);
      TextEmbeddings tb = model.encodeText(ti, tm);
      for (int i = 0; i < b; i++) {
        NDIndex row = new NDIndex(i + ":" + (i + 1));
        VideoEmbeddings v1 = model.encodeVideo(x.get(row), xm.get(row));
        TextEmbeddings t1 = model.encodeText(ti.get(row), tm.get(row));
        assertThat(maxAbsDiff(vb.global().get(row).toFloatArray(), v1.global().toFloatArray()))
            .as("video %d global", i).isLessThan(1e-5f);
        assertThat(maxAbsDiff(vb.local().get(row).toFloatArray(), v1.local().toFloatArray()))
            .as("video %d local", i).isLessThan(1e-5f);
        assertThat(maxAbsDiff(tb.global().get(row).toFloatArray(), t1.global().toFloatArray()))
            .as("text %d global", i).isLessThan(1e-5f);
      }
      assertThat(vb.local().getShape()).isEqualTo(new Shape(b, f * n, 12));
      assertThat(tb.local().getShape()).isEqualTo(new Shape(b, l - 1, 12));
      assertThat(vb.keyMask().toFloatArray()[1 * n + 0]).isEqualTo((mask[n] - 1) * 100);
    }
  }

  @Test
  void regionsOfOneFrameDoNotSeeOtherFramesExceptThroughCls() {
    // With one block, a region token's output depends only on its own frame and the CLS input, so
    // perturbing frame 1 must leave frame 0's local embeddings unchanged (space attention, METHOD 2.1).
    ModelConfig one = new ModelConfig(new VideoEncoderConfig(8, 16, 1, 2, 24, 2, 5, 0.02), CFG.text(), 12);
    SplittableRandom r = new SplittableRandom(SEED + 2);
    int f = 2, n = 5, dim = 14;
    float[] regions = randomRegions(r, f * n * dim);
    float[] changed = regions.clone();
    for (int i = n * dim; i < 2 * n * dim; i++) {
      changed[i] += 1f;
    }
    float[] mask = new float[f * n];
    java.util.Arrays.fill(mask, 1f);
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(one, m, SEED)) {
      Shape shape = new Shape(1, f, n, dim);
      NDArray xm = m.create(mask, new Shape(1, f, n));
      VideoEmbeddings a = model.encodeVideo(m.create(regions, shape), xm);
      VideoEmbeddings c = model.encodeVideo(m.create(changed, shape), xm);
      NDIndex frame0 = new NDIndex(":, 0:" + n + ", :");
      NDIndex frame1 = new NDIndex(":, " + n + ":, :");
      assertThat(maxAbsDiff(a.local().get(frame0).toFloatArray(), c.local().get(frame0).toFloatArray()))
          .isLessThan(1e-6f);
      assertThat(maxAbsDiff(a.local().get(frame1).toFloatArray(), c.local().get(frame1).toFloatArray()))
          .isGreaterThan(1e-3f);
      assertThat(maxAbsDiff(a.global().toFloatArray(), c.global().toFloatArray())).isGreaterThan(1e-4f);
    }
  }
}
