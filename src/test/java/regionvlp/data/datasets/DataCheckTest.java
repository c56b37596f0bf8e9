package regionvlp.data.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.DataFault;

/** {@code data check} finds each fault planted in {@link FaultyCorpus}, and only those. */
class DataCheckTest {
  @TempDir static Path dir;
  static SplitIndex index;

  @BeforeAll
  static void build() {
    FaultyCorpus.build(dir, 16);
    index = Datasets.reader("folder").read(dir.resolve("features"), dir.resolve("captions.tsv"),
        ReadOptions.of("train"));
  }

  @Test
  void eachPlantedFaultIsCaughtWithItsKindAndReason() {
    DataCheck.Report r = DataCheck.run(index, new FrameNeed(4, false), 16, 2, null);
    assertThat(r.okClips()).isEqualTo(FaultyCorpus.GOOD);
    Map<String, DataFault> byId = new java.util.HashMap<>();
    r.clipFaults().forEach(f -> byId.put(f.id(), f));
    assertThat(byId).containsOnlyKeys("c12", "c13", "c14", "c15", "c16", "c17");
    assertThat(byId.get("c12").kind()).isEqualTo(DataFault.Kind.CORRUPT);
    assertThat(byId.get("c12").where()).endsWith("0.npz");
    assertThat(byId.get("c13").kind()).isEqualTo(DataFault.Kind.MISSING);
    assertThat(byId.get("c13").reason()).contains("5.npz is missing");
    assertThat(byId.get("c14").kind()).isEqualTo(DataFault.Kind.WRONG_DIM);
    assertThat(byId.get("c14").reason()).contains("expected featureDim 16, found 8");
    assertThat(byId.get("c15").kind()).isEqualTo(DataFault.Kind.NON_FINITE);
    assertThat(byId.get("c15").reason()).contains("x: expected finite values, found NaN");
    assertThat(byId.get("c16").kind()).isEqualTo(DataFault.Kind.TOO_FEW_FRAMES);
    assertThat(byId.get("c16").reason()).contains("3 frames, fewer than the 4 needed");
    assertThat(byId.get("c17").kind()).isEqualTo(DataFault.Kind.MISSING);
    assertThat(byId.get("c17").reason()).contains("clip folder not found");

    assertThat(index.rowFaults()).extracting(DataFault::kind)
        .containsExactly(DataFault.Kind.NON_UTF8_CAPTION, DataFault.Kind.EMPTY_CAPTION);
    assertThat(index.rowFaults()).extracting(DataFault::id).containsExactly("c18", "c19");
    assertThat(index.rowFaults().get(0).where()).isEqualTo("captions.tsv:19");

    Map<String, Object> j = r.toJson();
    assertThat(j).containsEntry("ok", 12).containsEntry("missing", 2).containsEntry("corrupt", 1)
        .containsEntry("tooFewFrames", 1).containsEntry("wrongDim", 1).containsEntry("nonFinite", 1)
        .containsEntry("clips", 18).containsEntry("captions", 18);
    assertThat(j.get("captionFaults")).isEqualTo(Map.of("nonUtf8Caption", 1, "emptyCaption", 1, "malformedRow", 0));
    assertThat((List<?>) j.get("faults")).hasSize(8);
    assertThat(r.clean()).isFalse();
  }

  @Test
  void theFaithfulSamplerNeedsTwiceTheFrames() {
    DataCheck.Report r = DataCheck.run(index, new FrameNeed(8, true), 16, 1, null);
    // 16 frames = 2F: the good clips stay good; c16 (3 frames) is short either way
    assertThat(r.okClips()).isEqualTo(FaultyCorpus.GOOD);
    DataCheck.Report r9 = DataCheck.run(index, new FrameNeed(9, true), 16, 1, null);
    assertThat(r9.okClips()).isZero();
    assertThat(r9.clipFaults().get(0).reason()).contains("16 frames, fewer than the 18 needed to sample 9 with the"
        + " faithful random sampler");
  }
}
