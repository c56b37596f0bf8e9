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

  /** The recipe presets carry the original configs' values (METHOD.md 4.1, 4.2). */
  @Test
  void recipePresetsHoldThePapersSettings() {
    ExperimentConfig pt = ConfigLoader.load("pretrain-webvid-cc3m", List.of());
    assertThat(pt.data().dataset()).isEqualTo("webvid");
    assertThat(pt.data().secondary().dataset()).isEqualTo("cc3m");
    assertThat(pt.data().numFrames()).isEqualTo(1);
    assertThat(pt.model().video().maxFrames()).isEqualTo(1);
    assertThat(pt.train().epochs()).isEqualTo(50);
    assertThat(pt.train().batchSize()).isEqualTo(128);
    assertThat(pt.train().milestones()).containsExactly(30, 40);
    assertThat(pt.train().firstEpochLr()).isEqualTo(1e-5);
    assertThat(pt.train().lr()).isEqualTo(2e-4);
    assertThat(pt.train().maxSamplesPerEpoch()).isEqualTo(1_000_000);
    for (String ds : List.of("msrvtt", "didemo", "msvd", "lsmdc")) {
      ExperimentConfig ft = ConfigLoader.load("finetune-" + ds, List.of());
      assertThat(ft.data().dataset()).isEqualTo(ds);
      assertThat(ft.data().alternates()).isFalse();
      assertThat(ft.data().numFrames()).isEqualTo(8);
      assertThat(ft.data().numRegions()).isEqualTo(30);
      assertThat(ft.train().batchSize()).isEqualTo(32);
      assertThat(ft.train().epochs()).isEqualTo(10);
      assertThat(ft.train().milestones()).containsExactly(2, 4, 8);
      assertThat(ft.train().firstEpochLr()).isEqualTo(1e-5);
      assertThat(ft.train().maxSamplesPerEpoch()).isEqualTo(ds.equals("msrvtt") ? 9_000 : 10_000_000);
    }
  }

  /** A config written before data.secondary and train.maxSamplesPerEpoch existed loads as one uncapped source. */
  @Test
  void oldConfigsGetOneSourceAndNoCap() throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode tree =
        Json.MAPPER.valueToTree(ConfigLoader.load("demovlp-finetune", List.of()));
    ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("data")).remove("secondary");
    ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("train")).remove("maxSamplesPerEpoch");
    ExperimentConfig c = ConfigLoader.fromTree(tree, "old");
    assertThat(c.data().alternates()).isFalse();
    assertThat(c.train().maxSamplesPerEpoch()).isZero();
    assertThatThrownBy(() -> ConfigLoader.load("quickstart", List.of("data.secondary.dataset=cc3n")))
        .hasMessageContaining("data.secondary.dataset must be empty (one source) or one of")
        .hasMessageContaining("found 'cc3n'");
  }

  /**
   * Iterations per epoch, by hand: min of the sources' batches; the cap allows floor(max / (batch x sources))
   * (the original stops when (iter+1) x 256 > max_samples_per_epoch).
   */
  @Test
  void iterationsPerEpochTakeTheShorterSourceAndTheCap() {
    ExperimentConfig pt = ConfigLoader.load("pretrain-webvid-cc3m", List.of());
    assertThat(pt.train().iterationsPerEpoch(19_000, 23_000)).isEqualTo(1_000_000 / 256); // 3906
    assertThat(pt.train().iterationsPerEpoch(3_000, 23_000)).isEqualTo(3_000);
    ExperimentConfig ft = ConfigLoader.load("finetune-msrvtt", List.of());
    assertThat(ft.train().iterationsPerEpoch(9_000 / 32)).isEqualTo(281); // 9,000 videos / 32: the cap is 281 too
    assertThat(ft.train().iterationsPerEpoch(400)).isEqualTo(281);
    ExperimentConfig tiny = ConfigLoader.load("finetune-msrvtt", List.of("train.maxSamplesPerEpoch=31"));
    assertThatThrownBy(() -> tiny.train().iterationsPerEpoch(10)).hasMessageContaining(
        "train.maxSamplesPerEpoch 31 is below one iteration (32 samples: batchSize x 1 source(s))");
  }
}
