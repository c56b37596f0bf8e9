package regionvlp.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FrameSamplerTest {

  @Test
  void uniformSingleFrameOfEightIsTheMiddleOne() {
    // b = [0, 8]; floor((0 + 8 - 1) / 2) = 3 (the WebVid pre-training val frame)
    assertThat(FrameSampler.uniform().sample(8, 1, null)).containsExactly(3);
  }

  @Test
  void uniformAllFramesWhenFEqualsK() {
    // b_i = i; floor((i + i + 1 - 1) / 2) = i
    assertThat(FrameSampler.uniform().sample(8, 8, null)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
  }

  @Test
  void uniformEightOfSixteen() {
    // b_i = 2i; floor((2i + 2i + 2 - 1) / 2) = 2i
    assertThat(FrameSampler.uniform().sample(16, 8, null)).containsExactly(0, 2, 4, 6, 8, 10, 12, 14);
  }

  @Test
  void linspaceBoundariesForNonPowerOfTwo() {
    // K = 10, F = 3: step = 10/3 = 3.333..; b = [0, int(3.33), int(6.67), 10] = [0, 3, 6, 10]
    // uniform: floor((0+2)/2) = 1, floor((3+5)/2) = 4, floor((6+9)/2) = 7
    assertThat(FrameSampler.boundaries(10, 3)).containsExactly(0, 3, 6, 10);
    assertThat(FrameSampler.uniform().sample(10, 3, null)).containsExactly(1, 4, 7);
  }

  @Test
  void linspaceTruncatesTheFloatProductNotTheExactQuotient() {
    // K = 30, F = 22: step = 30/22 = 1.3636..; 11 * step = 14.999999999999998 in float64 -> 14,
    // while integer floor(11 * 30 / 22) = 15. numpy's linspace(0, 30, 23).astype(int)[11] is 14.
    // b_10 = int(13.636..) = 13, b_12 = int(16.36..) = 16
    // uniform segment 10: floor((13 + 14 - 1) / 2) = 13; segment 11: floor((14 + 16 - 1) / 2) = 14
    int[] b = FrameSampler.boundaries(30, 22);
    assertThat(b).hasSize(23);
    assertThat(b[11]).isEqualTo(14);
    assertThat(b[22]).isEqualTo(30);
    int[] idx = FrameSampler.uniform().sample(30, 22, null);
    assertThat(idx[10]).isEqualTo(13);
    assertThat(idx[11]).isEqualTo(14);
  }

  @Test
  void faithfulRandNeverPicksLastFrameOfSegmentButCorrectedDoes() {
    // K = 24, F = 8: segments [3i, 3i+2]; faithful draws from [3i, 3i+1], corrected from [3i, 3i+2]
    long seed = 7_311L;
    SplittableRandom rng = new SplittableRandom(seed);
    boolean[] correctedHitLast = new boolean[8];
    for (int draw = 0; draw < 2000; draw++) {
      int[] f = FrameSampler.randFaithful().sample(24, 8, rng);
      int[] c = FrameSampler.rand().sample(24, 8, rng);
      for (int i = 0; i < 8; i++) {
        assertThat(f[i]).as("seed %d draw %d segment %d", seed, draw, i).isBetween(3 * i, 3 * i + 1);
        assertThat(c[i]).as("seed %d draw %d segment %d", seed, draw, i).isBetween(3 * i, 3 * i + 2);
        correctedHitLast[i] |= c[i] == 3 * i + 2;
      }
    }
    assertThat(correctedHitLast).as("seed %d", seed).containsOnly(true);
  }

  @Test
  void faithfulRandOnNonPowerOfTwoSplitStaysInsideSegments() {
    // K = 10, F = 3: b = [0, 3, 6, 10]; faithful ranges [0,1], [3,4], [6,8]
    long seed = 99L;
    SplittableRandom rng = new SplittableRandom(seed);
    boolean sawEight = false;
    for (int draw = 0; draw < 500; draw++) {
      int[] f = FrameSampler.randFaithful().sample(10, 3, rng);
      assertThat(f[0]).as("seed %d", seed).isBetween(0, 1);
      assertThat(f[1]).as("seed %d", seed).isBetween(3, 4);
      assertThat(f[2]).as("seed %d", seed).isBetween(6, 8);
      sawEight |= f[2] == 8;
    }
    assertThat(sawEight).as("seed %d: the 4-frame segment's 3rd frame is drawable", seed).isTrue();
  }

  @Test
  void faithfulRandNeedsTwoFramesPerSegment() {
    // K = 10 < 2F = 16: some segment has one frame, the original would crash on it
    assertThatThrownBy(() -> FrameSampler.randFaithful().sample(10, 8, new SplittableRandom(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("K >= 2F")
        .hasMessageContaining("K=10");
    // The corrected sampler handles it: every segment yields a valid index
    int[] c = FrameSampler.rand().sample(10, 8, new SplittableRandom(1));
    assertThat(c).hasSize(8).isSorted();
    assertThat(c[7]).isBetween(8, 9);
  }

  @Test
  void moreFramesRequestedThanAvailable() {
    // F' = min(8, 3) = 3; b = [0, 1, 2, 3] -> [0, 1, 2]
    assertThat(FrameSampler.uniform().sample(3, 8, null)).containsExactly(0, 1, 2);
    assertThat(FrameSampler.hasEnoughFrames(3, 8)).isFalse();
    assertThat(FrameSampler.hasEnoughFrames(8, 8)).isTrue();
    assertThatThrownBy(() -> FrameSampler.requireEnoughFrames("video7", 3, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("video7")
        .hasMessageContaining("at least 8 frames, found 3");
  }

  @Test
  void randWithoutGeneratorIsRejected() {
    assertThatThrownBy(() -> FrameSampler.rand().sample(16, 8, null))
        .isInstanceOf(NullPointerException.class);
  }
}
