package regionvlp.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.train.LrSchedule;

class ConfigLoaderTest {
  @Test
  void everyPresetResolves() {
    for (String p : ConfigLoader.PRESETS) {
      ExperimentConfig c = ConfigLoader.load(p, List.of());
      assertThat(c.model().embedDim()).as(p).isEqualTo(256);
    }
    ExperimentConfig ft = ConfigLoader.load("demovlp-finetune", List.of());
    assertThat(ft.data().numFrames()).isEqualTo(8);
    assertThat(ft.train().milestones()).containsExactly(2, 4, 8);
    assertThat(ft.model().video().width()).isEqualTo(768);
  }

  @Test
  void overridesApplyWithTypes() {
    ExperimentConfig c = ConfigLoader.load("quickstart",
        List.of("train.lr=1e-4", "train.milestones=[3,5]", "train.schedule=MILESTONES", "data.features=/x/y"));
    assertThat(c.train().lr()).isEqualTo(1e-4);
    assertThat(c.train().milestones()).containsExactly(3, 5);
    assertThat(c.train().schedule()).isEqualTo(LrSchedule.Kind.MILESTONES);
    assertThat(c.data().features()).isEqualTo("/x/y");
  }

  @Test
  void anEmptyValueIsTheEmptyString() {
    ExperimentConfig c = ConfigLoader.load("quickstart", List.of("data.valMeta=/v.tsv", "data.valMeta="));
    assertThat(c.data().valMeta()).isEmpty();
  }

  @Test
  void unknownSetKeyIsAnErrorNamingTheKeyAndTheKnownOnes() {
    assertThatThrownBy(() -> ConfigLoader.load("quickstart", List.of("train.lrr=1e-4")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown config key 'train.lrr'")
        .hasMessageContaining("lr");
    assertThatThrownBy(() -> ConfigLoader.load("quickstart", List.of("trian.lr=1")))
        .hasMessageContaining("unknown config key 'trian'");
    assertThatThrownBy(() -> ConfigLoader.load("quickstart", List.of("train")))
        .hasMessageContaining("expected key=value");
  }

  @Test
  void invalidValuesNameTheField() {
    assertThatThrownBy(() -> ConfigLoader.load("quickstart", List.of("train.batchSize=1")))
        .hasMessageContaining("train.batchSize");
    assertThatThrownBy(() -> ConfigLoader.load("quickstart", List.of("model.video.numHeads=3")))
        .hasMessageContaining("model.video.width");
    assertThatThrownBy(() -> ConfigLoader.load("quickstart", List.of("data.numFrames=9")))
        .hasMessageContaining("data.numFrames");
  }

  @Test
  void aFileOverlaysItsPresetAndRejectsUnknownKeys(@TempDir Path dir) throws Exception {
    Path ok = dir.resolve("ok.json");
    Files.writeString(ok, "{\"preset\": \"demovlp-finetune\", \"train\": {\"epochs\": 3}}");
    ExperimentConfig c = ConfigLoader.load(ok.toString(), List.of());
    assertThat(c.train().epochs()).isEqualTo(3);
    assertThat(c.train().batchSize()).isEqualTo(32);

    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\"train\": {\"epochz\": 3}}");
    assertThatThrownBy(() -> ConfigLoader.load(bad.toString(), List.of()))
        .hasMessageContaining(bad.toString())
        .hasMessageContaining("train.epochz");
  }

  @Test
  void resolvedConfigRoundTripsThroughJson() throws Exception {
    ExperimentConfig c = ConfigLoader.load("demovlp-pretrain", List.of("train.seed=9"));
    JsonNode tree = Json.MAPPER.valueToTree(c);
    assertThat(ConfigLoader.fromTree(tree, "test")).isEqualTo(c);
  }
}
