package regionvlp.data.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SynthConfigTest {
  @Test
  void defaultsAreAsDocumented() {
    SynthConfig d = SynthConfig.defaults();
    assertThat(d.trainVideos()).isEqualTo(4000);
    assertThat(d.valVideos()).isEqualTo(200);
    assertThat(d.testVideos()).isEqualTo(1000);
    assertThat(d.framesPerVideo()).isEqualTo(16);
    assertThat(d.featureDim()).isEqualTo(2048);
    assertThat(d.captionsPerTrainVideo()).isEqualTo(3);
    assertThat(d.groupSize()).isEqualTo(2);
    assertThat(d.vocabFile()).isNull();
    assertThat(d.compressed()).isFalse();
    assertThat(d.withFeatureDim(64).featureDim()).isEqualTo(64);
  }

  @Test
  void tooFewFramesIsRejectedNamingTheField() {
    assertThatThrownBy(() -> SynthConfig.defaults().withFramesPerVideo(8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("framesPerVideo")
        .hasMessageContaining(">= 16")
        .hasMessageContaining("8");
  }

  @Test
  void otherBoundsAreChecked() {
    assertThatThrownBy(() -> SynthConfig.defaults().withGroupSize(1)).hasMessageContaining("groupSize");
    assertThatThrownBy(() -> SynthConfig.defaults().withFeatureDim(4)).hasMessageContaining("featureDim");
    assertThatThrownBy(() -> SynthConfig.defaults().withThreads(0)).hasMessageContaining("threads");
  }
}
