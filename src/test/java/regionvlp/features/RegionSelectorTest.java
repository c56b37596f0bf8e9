package regionvlp.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import regionvlp.data.FrameFeatures;
import regionvlp.data.InvalidInputFileException;

class RegionSelectorTest {

  /** A frame with D = 2, W = 100, H = 50; feature row i = [i+1, -(i+1)]. */
  static FrameFeatures frame(String id, float[] conf, float[] boxes) {
    int n = conf.length;
    float[] feats = new float[n * 2];
    for (int i = 0; i < n; i++) {
      feats[2 * i] = i + 1;
      feats[2 * i + 1] = -(i + 1);
    }
    return new FrameFeatures(id, 100, 50, n, 2, feats, boxes, new long[n], conf, null, null);
  }

  private static float[] row(float[] regions, int slot) {
    return Arrays.copyOfRange(regions, slot * 8, slot * 8 + 8);
  }

  @Test
  void sortsByConfidenceAndEdgePadsWithTheLastKeptRow() {
    // conf [0.2, 0.9, 0.5] -> order 1, 2, 0; R = 5 -> slots 3 and 4 repeat box 0
    // box 0 (10,5)-(30,25): [10/100, 5/50, 0.1+0.2, 0.1+0.4, 20/100, 20/50] = [0.1,0.1,0.3,0.5,0.2,0.4]
    // box 1 (0,0)-(100,50): [0, 0, 1, 1, 1, 1]
    // box 2 (50,10)-(60,20): [0.5, 0.2, 0.5+0.1, 0.2+0.2, 0.1, 0.2] = [0.5,0.2,0.6,0.4,0.1,0.2]
    // (float32 sums checked against numpy: 0.1f+0.2f == 0.3f, 0.5f+0.1f == 0.6f, 0.2f+0.2f == 0.4f)
    FrameFeatures f =
        frame("img", new float[] {0.2f, 0.9f, 0.5f}, new float[] {10, 5, 30, 25, 0, 0, 100, 50, 50, 10, 60, 20});
    RegionSelector sel = new RegionSelector(5, 2);
    float[] regions = new float[5 * 8];
    float[] mask = new float[5];
    int kept = sel.select(f, regions, 0, mask, 0);

    assertThat(kept).isEqualTo(3);
    assertThat(mask).containsExactly(1, 1, 1, 0, 0);
    assertThat(row(regions, 0)).containsExactly(2, -2, 0, 0, 1, 1, 1, 1);
    assertThat(row(regions, 1)).containsExactly(3, -3, 0.5f, 0.2f, 0.6f, 0.4f, 0.1f, 0.2f);
    float[] box0 = {1, -1, 0.1f, 0.1f, 0.3f, 0.5f, 0.2f, 0.4f};
    assertThat(row(regions, 2)).containsExactly(box0);
    assertThat(row(regions, 3)).containsExactly(box0);
    assertThat(row(regions, 4)).containsExactly(box0);
  }

  @Test
  void keepsTopRWhenMoreBoxesThanSlots() {
    // conf [0.1, 0.7, 0.3, 0.9] -> order 3, 1, 2, 0; R = 2 keeps boxes 3 and 1
    float[] boxes = new float[16];
    for (int i = 0; i < 4; i++) {
      boxes[4 * i + 2] = 10;
      boxes[4 * i + 3] = 10;
    }
    FrameFeatures f = frame("img", new float[] {0.1f, 0.7f, 0.3f, 0.9f}, boxes);
    float[] regions = new float[2 * 8];
    float[] mask = new float[2];
    assertThat(new RegionSelector(2, 2).select(f, regions, 0, mask, 0)).isEqualTo(2);
    assertThat(mask).containsExactly(1, 1);
    assertThat(regions[0]).isEqualTo(4f);
    assertThat(regions[8]).isEqualTo(2f);
  }

  @Test
  void equalConfidencesKeepFileOrder() {
    FrameFeatures f = frame("img", new float[] {0.5f, 0.5f, 0.9f, 0.5f}, new float[16]);
    assertThat(RegionSelector.sortedOrder(f)).containsExactly(2, 0, 1, 3);
  }

  @Test
  void boxEncodingIsFloat32AsNumpyComputesIt() {
    // x1 = 1, x2 = 9, W = 640: numpy float32 gives 1/640 + 8/640 = 0x1.ccccce p-7,
    // one ulp above 9/640 = 0x1.cccccc p-7; the encoding must use the sum, not x2/W.
    float[] out = new float[6];
    RegionSelector.encodeBox(1, 0, 9, 10, 640, 10, out, 0);
    assertThat(out[2]).isEqualTo(0x1.cccccep-7f);
    assertThat(out[2]).isNotEqualTo(9f / 640f);
    assertThat(out[0]).isEqualTo(1f / 640f);
    assertThat(out[4]).isEqualTo(8f / 640f);
    assertThat(out[3]).isEqualTo(1f);
    assertThat(out[5]).isEqualTo(1f);
  }

  @Test
  void writesAtTheGivenOffsets() {
    FrameFeatures f = frame("img", new float[] {1f}, new float[] {0, 0, 50, 25});
    float[] regions = new float[3 * 8];
    float[] mask = new float[3];
    Arrays.fill(regions, 42f);
    Arrays.fill(mask, 42f);
    new RegionSelector(2, 2).select(f, regions, 8, mask, 1);
    assertThat(row(regions, 0)).containsOnly(42f);
    assertThat(row(regions, 1)).containsExactly(1, -1, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f);
    assertThat(row(regions, 2)).containsExactly(1, -1, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f);
    assertThat(mask).containsExactly(42f, 1f, 0f);
  }

  @Test
  void wrongFeatureDimNamesTheFrameExpectedAndFound() {
    FrameFeatures f =
        new FrameFeatures(
            "video3_frame5", 10, 10, 1, 1024, new float[1024], new float[4], new long[1], new float[1], null, null);
    RegionSelector sel = RegionSelector.withDefaultRegions(2048);
    float[] regions = new float[30 * 2054];
    float[] mask = new float[30];
    assertThatThrownBy(() -> sel.select(f, regions, 0, mask, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("video3_frame5: expected featureDim 2048, found 1024");
    Path src = Path.of("features", "video3", "5.npz");
    assertThatThrownBy(() -> sel.select(f, src, regions, 0, mask, 0))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("5.npz")
        .hasMessageContaining("expected featureDim 2048, found 1024")
        .satisfies(e -> assertThat(((InvalidInputFileException) e).path()).isEqualTo(src));
  }

  @Test
  void outputArrayTooShortIsRejected() {
    FrameFeatures f = frame("img", new float[] {1f}, new float[4]);
    assertThatThrownBy(() -> new RegionSelector(2, 2).select(f, new float[15], 0, new float[2], 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("regionsOut");
  }
}
