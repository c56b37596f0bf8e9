package regionvlp.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class LrScheduleTest {
  @Test
  void milestonesReproduceTheFineTuneScheduleOfMethodSection42() {
    // METHOD.md 4.2: epoch 1 at 1e-5, epoch 2 at 2e-4, 3-4 at 2e-5, 5-8 at 2e-6, 9-10 at 2e-7.
    LrSchedule s = new LrSchedule(LrSchedule.Kind.MILESTONES, 2e-4, 1e-5, List.of(2, 4, 8), 0.1, 0);
    double[] expected = {1e-5, 2e-4, 2e-5, 2e-5, 2e-6, 2e-6, 2e-6, 2e-6, 2e-7, 2e-7};
    for (int e = 0; e < 10; e++) {
      assertThat(s.at(e, 0, 100)).as("epoch %d", e + 1).isCloseTo(expected[e], within(1e-12));
    }
  }

  @Test
  void cosineWarmsUpThenDecaysToZero() {
    LrSchedule s = new LrSchedule(LrSchedule.Kind.COSINE, 1.0, 0, List.of(), 0.1, 10);
    assertThat(s.at(0, 0, 110)).isCloseTo(0.1, within(1e-12));
    assertThat(s.at(0, 9, 110)).isCloseTo(1.0, within(1e-12));
    assertThat(s.at(0, 60, 110)).isCloseTo(0.5, within(1e-12));
    assertThat(s.at(0, 110, 110)).isCloseTo(0.0, within(1e-12));
  }
}
