package regionvlp.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import regionvlp.data.FrameFeatures;

class ClipRegionsTest {

  @Test
  void assemblesFramesInOrderWithMasks() {
    // frame 0: 1 box -> mask [1, 0, 0]; frame 1: 4 boxes -> top 3, mask [1, 1, 1]
    FrameFeatures f0 = RegionSelectorTest.frame("f0", new float[] {0.5f}, new float[] {0, 0, 100, 50});
    FrameFeatures f1 =
        RegionSelectorTest.frame("f1", new float[] {0.1f, 0.2f, 0.3f, 0.4f}, new float[16]);
    ClipRegions clip = ClipRegions.assemble(List.of(f0, f1), new RegionSelector(3, 2));

    assertThat(clip.numFrames()).isEqualTo(2);
    assertThat(clip.regionDim()).isEqualTo(8);
    assertThat(clip.regions()).hasSize(2 * 3 * 8);
    assertThat(clip.mask()).containsExactly(1, 0, 0, 1, 1, 1);
    assertThat(clip.validRegions(0)).isEqualTo(1);
    assertThat(clip.validRegions(1)).isEqualTo(3);
    // frame 1, slot 0 is box 3 (conf 0.4): feature [4, -4]
    assertThat(clip.regions()[clip.offset(1, 0)]).isEqualTo(4f);
    // frame 0, padded slot 2 repeats box 0: feature 1, box x2 = 1
    assertThat(clip.regions()[clip.offset(0, 2)]).isEqualTo(1f);
    assertThat(clip.regions()[clip.offset(0, 2) + 4]).isEqualTo(1f);
  }

  @Test
  void rejectsWrongShapesAndMalformedMasks() {
    assertThatThrownBy(() -> new ClipRegions(1, 2, 2, new float[15], new float[] {1, 0}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected [1, 2, 8] = 16 values, found 15");
    assertThatThrownBy(() -> new ClipRegions(1, 2, 2, new float[16], new float[] {0, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("after a padded slot");
    assertThatThrownBy(() -> new ClipRegions(1, 2, 2, new float[16], new float[] {0.5f, 0}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected 0 or 1");
    assertThatThrownBy(() -> ClipRegions.assemble(List.of(), new RegionSelector(3, 2)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
