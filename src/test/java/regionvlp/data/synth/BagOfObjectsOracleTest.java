package regionvlp.data.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BagOfObjectsOracleTest {
  @Test
  void tieWithOneTwinCountsHalf() {
    List<Set<Integer>> videos = List.of(Set.of(1, 2), Set.of(1, 2), Set.of(3));
    BagOfObjectsOracle.Result r =
        BagOfObjectsOracle.evaluate(List.of(Set.of(1, 2)), new int[] {0}, videos);
    assertThat(r.r1()).isEqualTo(0.5);
    assertThat(r.r5()).isEqualTo(1.0);
  }

  @Test
  void uniqueMatchCountsOneAndBetterWrongVideoCountsZero() {
    List<Set<Integer>> videos = List.of(Set.of(1), Set.of(1, 2), Set.of(3));
    // query {1,2}: GT video 0 scores 1/2, video 1 scores 1 -> rank 2
    BagOfObjectsOracle.Result r = BagOfObjectsOracle.evaluate(
        List.of(Set.of(1, 2), Set.of(3)), new int[] {0, 2}, videos);
    assertThat(r.r1()).isEqualTo(0.5); // (0 + 1) / 2
    assertThat(BagOfObjectsOracle.expectedRecallAt(5, 3, 4)).isEqualTo(0.5);
    assertThat(BagOfObjectsOracle.expectedRecallAt(1, 1, 1)).isEqualTo(0.0);
    assertThat(BagOfObjectsOracle.jaccard(Set.of(1, 2), Set.of(2, 3))).isCloseTo(1 / 3.0, within(1e-12));
  }

  @Test
  void parsesCaptionText() {
    CaptionParser p = new CaptionParser(SynthVocab.builtIn());
    SynthVocab v = SynthVocab.builtIn();
    int dog = indexOf(v, "dog");
    int car = indexOf(v, "car");
    assertThat(p.classSet("Two PUPPIES chase an automobile")).containsExactlyInAnyOrder(dog, car);
    assertThat(p.classSet("doghouse carpet")).doesNotContain(dog, car);
  }

  @Test
  void oracleStaysAtOrBelowHalfOnDefaultTestSplit() {
    SynthConfig cfg = SynthConfig.defaults().withFeatureDim(16);
    assertThat(cfg.testVideos()).isEqualTo(1000);
    BagOfObjectsOracle.Result r = BagOfObjectsOracle.evaluateTest(new SynthWorld(cfg));
    assertThat(r.queries()).isEqualTo(1000);
    assertThat(r.r1()).isLessThanOrEqualTo(0.5).isGreaterThan(0.3);
    assertThat(r.r5()).isGreaterThanOrEqualTo(r.r1());
  }

  static int indexOf(SynthVocab v, String name) {
    return v.classes().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow().index();
  }
}
