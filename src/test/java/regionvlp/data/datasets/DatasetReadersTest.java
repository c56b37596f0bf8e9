package regionvlp.data.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static regionvlp.TestFiles.copyTree;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.ClipSource;
import regionvlp.data.DataFault;
import regionvlp.data.InvalidInputFileException;

/**
 * Every reader on its fixture (src/test/resources/datasets, written by tools/make_dataset_fixtures.py). With
 * {@code faithfulHeaderSkip} the items must equal, caption for caption and path for path, what the original
 * DemoVLP dataset classes make of the same files ({@code expected.json}: pandas read_csv plus their
 * _get_caption and _get_object_path); by default the first record, which pandas took as the header, is an
 * item too.
 */
class DatasetReadersTest {
  static Path root;
  static JsonNode expected;
  static final Path FEATURES = Path.of("FEATURES");

  @BeforeAll
  static void load() throws IOException, URISyntaxException {
    root = Path.of(Objects.requireNonNull(DatasetReadersTest.class.getResource("/datasets"), "fixtures").toURI());
    expected = new ObjectMapper().readTree(root.resolve("expected.json").toFile());
  }

  static SplitIndex read(String dataset, String split, boolean skip) {
    Path meta = root.resolve(dataset.equals("msrvtt") ? "msrvtt" : dataset + "/meta_data");
    return Datasets.reader(dataset).read(FEATURES, meta, new ReadOptions(split, skip, false));
  }

  /** [caption, path relative to the features root] per caption, as the original lists its items. */
  static List<List<String>> items(SplitIndex s) {
    List<List<String>> out = new ArrayList<>();
    for (SplitIndex.Caption c : s.captions()) {
      out.add(List.of(c.text(), FEATURES.relativize(s.videos().get(c.video()).source().location()).toString()));
    }
    return out;
  }

  static List<List<String>> original(String dataset, String split) {
    List<List<String>> out = new ArrayList<>();
    for (JsonNode item : expected.path(dataset).path(split).path("items")) {
      out.add(List.of(item.get(0).asText(), item.get(1).asText()));
    }
    assertThat(out).as(dataset + " " + split + " in expected.json").isNotEmpty();
    return out;
  }

  @Test
  void didemoMatchesTheOriginalAndCountsRecordsNotLines() {
    for (String split : List.of("train", "test")) {
      SplitIndex faithful = read("didemo", split, true);
      assertThat(items(faithful)).isEqualTo(original("didemo", split));
      assertThat(faithful.rowFaults()).isEmpty();
    }
    SplitIndex all = read("didemo", "test", false);
    assertThat(all.protocol()).containsEntry("metaLines", 7).containsEntry("metaRecords", 5)
        .containsEntry("headerSkip", false);
    assertThat(all.captions()).hasSize(5);
    assertThat(items(all).get(0)).containsExactly("the lighter chick runs., camera zooms out, ", "200@N08_10_ee");
    assertThat(items(all).subList(1, 5)).isEqualTo(original("didemo", "test"));
    assertThat(all.captions().get(1).where()).isEqualTo("DiDeMo_test.tsv:2");
    assertThat(all.captions().get(3).where()).isEqualTo("DiDeMo_test.tsv:6"); // after the blank line
    // val reads the test file, as the original does
    assertThat(read("didemo", "val", false).metaFiles().get(0).getFileName().toString()).isEqualTo("DiDeMo_test.tsv");
  }

  @Test
  void msvdUsesTheFirstCaptionAsCodedOrAllCaptionsOnRequest() {
    for (String split : List.of("train", "test")) {
      assertThat(items(read("msvd", split, true))).isEqualTo(original("msvd", split));
    }
    SplitIndex first = read("msvd", "test", false);
    assertThat(first.captions()).hasSize(4);
    assertThat(first.captions().get(0).text()).isEqualTo("a boy plays with a dog");
    SplitIndex all = Datasets.reader("msvd").read(FEATURES, root.resolve("msvd/meta_data"),
        new ReadOptions("test", false, true));
    // 3 + 2 + 3 ("a man", "a woman and a child dance", "people dance") + 1 captions over 4 clips
    assertThat(all.captions()).hasSize(9);
    assertThat(all.videos()).hasSize(4);
    assertThat(all.captions().stream().map(SplitIndex.Caption::text).toList()).contains("a dog gives a high five",
        "a man plays patacake", "someone cuts vegetables", "a woman and a child dance", "kids run");
    assertThat(all.protocol().get("captionPolicy").toString()).contains("all captions");
  }

  @Test
  void webvidReadsPageDirVideoIdUnderTheSplitFolder() {
    assertThat(items(read("webvid", "train", true))).isEqualTo(prefixed(original("webvid", "train"), "train/"));
    SplitIndex val = read("webvid", "val", false);
    assertThat(val.captions()).hasSize(4);
    assertThat(val.protocol()).containsEntry("metaLines", 5).containsEntry("metaRecords", 4);
    assertThat(items(val).subList(1, 4)).isEqualTo(prefixed(original("webvid", "val"), "val/"));
    assertThat(val.allFramesWhenEqual()).isTrue();
    assertThat(val.videos().get(0).source()).isEqualTo(new ClipSource.FrameFolder(
        FEATURES.resolve("val/027701_027750/1053841541")));
  }

  @Test
  void cc3mBucketsAndFallsBackFromUnderscoreOneToUnderscoreZero(@TempDir Path features) throws IOException {
    assertThat(items(read("cc3m", "train", true))).isEqualTo(original("cc3m", "train"));
    assertThat(items(read("cc3m", "val", true))).isEqualTo(original("cc3m", "val"));
    assertThat(TsvReaders.Cc3m.bucket("0_1595581236")).isEqualTo("0000");
    assertThat(TsvReaders.Cc3m.bucket("15123_x")).isEqualTo("0015");
    assertThat(TsvReaders.Cc3m.bucket("1234567_y")).isEqualTo("1234");

    SplitIndex s = Datasets.reader("cc3m").read(features, root.resolve("cc3m/meta_data"), ReadOptions.of("train"));
    ClipSource first = s.videos().get(0).source(); // 0_1595581236 in bucket 0000
    Path dir = features.resolve("train/0000");
    Files.createDirectories(dir);
    assertThatThrownBy(first::countFrames).isInstanceOf(regionvlp.data.ClipFaultException.class)
        .hasMessageContaining("0_1595581236_1.npz").hasMessageContaining("0_1595581236_0.npz");
    Files.writeString(dir.resolve("0_1595581236_0.npz"), "x");
    assertThat(first.countFrames()).isEqualTo(1);
    assertThat(first.frameFile(0)).isEqualTo(dir.resolve("0_1595581236_0.npz"));
    Files.writeString(dir.resolve("0_1595581236_1.npz"), "x");
    assertThat(first.frameFile(0)).isEqualTo(dir.resolve("0_1595581236_1.npz"));
  }

  @Test
  void lsmdcTakesTheFirstAndLastColumnsAndTheMovieFolderAsCoded() {
    for (String split : List.of("train", "test")) {
      assertThat(items(read("lsmdc", split, true))).isEqualTo(original("lsmdc", split));
    }
    SplitIndex test = read("lsmdc", "test", false);
    assertThat(test.captions()).hasSize(3);
    assertThat(items(test).get(0)).containsExactly("SOMEONE looks up.",
        "3001_21_JUMP_STREET/3001_21_JUMP_STREET_00.00.27.439-00.00.28.970");
    // DATA_DIR (holding meta_data/) is accepted as well as meta_data itself
    SplitIndex viaDataDir = Datasets.reader("lsmdc").read(FEATURES, root.resolve("lsmdc"), ReadOptions.of("test"));
    assertThat(items(viaDataDir)).isEqualTo(items(test));
  }

  @Test
  void msrvttSortsIdsKeepsCaptionOrderAndUsesThePickledIndexForTest() {
    SplitIndex train = read("msrvtt", "train", false);
    List<List<String>> want = new ArrayList<>();
    for (JsonNode item : expected.path("msrvtt").path("train").path("items")) {
      for (JsonNode c : item.get(0)) {
        want.add(List.of(c.asText(), item.get(1).asText()));
      }
    }
    assertThat(items(train)).isEqualTo(want); // video0, video1, video10, video2: string order
    assertThat(train.videos()).hasSize(4);
    SplitIndex test = read("msrvtt", "test", false);
    assertThat(items(test)).isEqualTo(original("msrvtt", "test"));
    assertThat(items(read("msrvtt", "test", true))).isEqualTo(items(test)); // no header row to swallow
    assertThat(test.protocol().get("captionPolicy").toString()).contains("jsfusion_val_caption_idx.pkl");
    SplitIndex all = Datasets.reader("msrvtt").read(FEATURES, root.resolve("msrvtt"), new ReadOptions("test", false, true));
    assertThat(all.captions()).hasSize(7); // video3: 2, video4: 3, video5: 2
    // --meta may name MSR_VTT.json itself
    SplitIndex viaJson = Datasets.reader("msrvtt").read(FEATURES, root.resolve("msrvtt/annotation/MSR_VTT.json"),
        ReadOptions.of("test"));
    assertThat(items(viaJson)).isEqualTo(items(test));
  }

  @Test
  void msrvttTestVideosWithoutCaptionOrIndexAreFaultsNotCrashes(@TempDir Path copy) throws IOException {
    copyTree(root.resolve("msrvtt"), copy);
    Path lists = copy.resolve("high-quality/structured-symlinks");
    Files.writeString(lists.resolve("val_list_jsfusion.txt"), "video4\nvideo99\nvideo6\n");
    SplitIndex s = Datasets.reader("msrvtt").read(FEATURES, copy, ReadOptions.of("test"));
    assertThat(s.captions()).hasSize(1);
    assertThat(s.rowFaults()).extracting(DataFault::id).containsExactly("video6", "video99");
    assertThat(s.rowFaults().get(0).reason()).contains("no caption index");
    assertThat(s.rowFaults().get(1).reason()).contains("no caption");
  }

  @Test
  void folderLayoutReadsTheSplitFileOfAFolderOrTheFileGiven() {
    Path meta = root.resolve("didemo/meta_data");
    assertThatThrownBy(() -> Datasets.reader("folder").read(FEATURES, meta, ReadOptions.of("test")))
        .isInstanceOf(InvalidInputFileException.class).hasMessageContaining("test.tsv");
    SplitIndex s = Datasets.reader("synthvid").read(FEATURES, meta.resolve("DiDeMo_train.tsv"), ReadOptions.of("test"));
    assertThat(s.captions()).hasSize(4);
    assertThat(s.videos().get(1).id()).isEqualTo("101@N00_2_bb.m4v"); // the generic layout keeps the id whole
  }

  @Test
  void unknownDatasetNamesTheKnownOnes() {
    assertThatThrownBy(() -> Datasets.reader("kinetics")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("msrvtt").hasMessageContaining("cc3m").hasMessageContaining("folder");
  }

  static List<List<String>> prefixed(List<List<String>> items, String prefix) {
    return items.stream().map(i -> List.of(i.get(0), prefix + i.get(1))).toList();
  }

}
