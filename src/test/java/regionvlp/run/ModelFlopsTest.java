package regionvlp.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import regionvlp.model.ModelConfig;

/**
 * The analytic FLOPs against the figures the original-code benchmark prints for the same shapes
 * (the reference script {@code bench_train.py} that times the original code, its {@code flops()} at the
 * paper's sizes): at batch 8 and one
 * frame "video 5.408 text 8.717 rwa 0.049 total 14.174; train (3x) 42.522" GFLOP per sample, and train
 * 42.96 at batch 32, 153.54 at batch 8 with 8 frames.
 */
class ModelFlopsTest {
  @Test
  void matchTheOriginalBenchmarksCounts() {
    ModelConfig m = ModelConfig.demovlp();
    ModelFlops b8 = ModelFlops.perSample(m, 1, 30, 100, 8, true);
    assertThat(b8.video() / 1e9).isCloseTo(5.408, within(5e-4));
    assertThat(b8.text() / 1e9).isCloseTo(8.717, within(5e-4));
    assertThat(b8.rwa() / 1e9).isCloseTo(0.049, within(5e-4));
    assertThat(b8.forward() / 1e9).isCloseTo(14.174, within(5e-4));
    assertThat(b8.train() / 1e9).isCloseTo(42.522, within(5e-4));
    assertThat(ModelFlops.perSample(m, 1, 30, 100, 32, true).train() / 1e9).isCloseTo(42.96, within(5e-3));
    assertThat(ModelFlops.perSample(m, 8, 30, 100, 8, true).train() / 1e9).isCloseTo(153.54, within(5e-3));
    assertThat(ModelFlops.perSample(m, 1, 30, 100, 8, false).rwa()).isZero();
  }
}
