package regionvlp.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The sampler against the original {@code _sample_objects} (golden/frame_sampling.json, written by
 * tools/make_dataset_fixtures.py) on every K in 1..40, 64, 100 and F in {1, 2, 3, 4, 5, 7, 8, 16, 22}:
 * uniform indices equal; the faithful random sampler draws from exactly the original's range in every segment
 * (and refuses exactly when the original's range is empty); the corrected one adds the segment's last frame.
 */
class FrameSamplerGoldenTest {
  @Test
  void matchesTheOriginalOnTheWholeGrid() throws IOException {
    JsonNode golden;
    try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("/golden/frame_sampling.json"))) {
      golden = new ObjectMapper().readTree(in);
    }
    int checked = 0;
    for (JsonNode c : golden.path("cases")) {
      int k = c.path("K").asInt();
      int f = c.path("F").asInt();
      String where = "K=" + k + " F=" + f;
      int[] uniform = new int[c.path("uniform").size()];
      for (int i = 0; i < uniform.length; i++) {
        uniform[i] = c.path("uniform").get(i).asInt();
      }
      assertThat(FrameSampler.uniform().sample(k, f, null)).as(where).containsExactly(uniform);

      JsonNode ranges = c.path("randRanges");
      boolean anyEmpty = false;
      for (JsonNode r : ranges) {
        anyEmpty |= r.get(1).asInt() < r.get(0).asInt();
      }
      if (anyEmpty) {
        assertThatThrownBy(() -> FrameSampler.randFaithful().sample(k, f, new SplittableRandom(0))).as(where)
            .isInstanceOf(IllegalArgumentException.class);
        continue;
      }
      int segments = ranges.size();
      int[] min = new int[segments];
      int[] max = new int[segments];
      int[] cmax = new int[segments];
      java.util.Arrays.fill(min, Integer.MAX_VALUE);
      java.util.Arrays.fill(max, Integer.MIN_VALUE);
      java.util.Arrays.fill(cmax, Integer.MIN_VALUE);
      SplittableRandom rng = new SplittableRandom(k * 31L + f);
      int widest = 1;
      for (JsonNode r : ranges) {
        widest = Math.max(widest, r.get(1).asInt() - r.get(0).asInt() + 2);
      }
      // 40 draws per possible value: a segment end is missed with probability < e^-40
      for (int draw = 0; draw < 40 * widest; draw++) {
        int[] faithful = FrameSampler.randFaithful().sample(k, f, rng);
        int[] corrected = FrameSampler.rand().sample(k, f, rng);
        assertThat(faithful).hasSize(segments);
        for (int s = 0; s < segments; s++) {
          min[s] = Math.min(min[s], faithful[s]);
          max[s] = Math.max(max[s], faithful[s]);
          cmax[s] = Math.max(cmax[s], corrected[s]);
        }
      }
      for (int s = 0; s < segments; s++) {
        int lo = ranges.get(s).get(0).asInt();
        int hi = ranges.get(s).get(1).asInt();
        assertThat(new int[] {min[s], max[s]}).as(where + " segment " + s).containsExactly(lo, hi);
        assertThat(cmax[s]).as(where + " corrected segment " + s).isEqualTo(hi + 1);
      }
      checked++;
    }
    assertThat(checked).isGreaterThan(250);
  }
}
