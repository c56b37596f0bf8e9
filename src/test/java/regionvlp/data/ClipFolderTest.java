package regionvlp.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipFolderTest {

  @TempDir Path root;

  private void frames(String videoId, int... ks) throws IOException {
    Path dir = Files.createDirectories(root.resolve(videoId));
    for (int k : ks) {
      Files.createFile(dir.resolve(k + ".npz"));
    }
  }

  @Test
  void countsContiguousZeroBasedFrameFiles() throws IOException {
    frames("video7", 0, 1, 2, 3, 4);
    ClipFolder folder = new ClipFolder(root);
    assertThat(folder.countFrames("video7")).isEqualTo(5);
    assertThat(folder.frameFile("video7", 3)).isEqualTo(root.resolve("video7").resolve("3.npz"));
  }

  @Test
  void ignoresOtherEntriesButTheFaithfulCountDoesNot() throws IOException {
    frames("page/v1", 0, 1, 2);
    Files.createFile(root.resolve("page/v1/info.json"));
    Files.createDirectories(root.resolve("page/v1/sub"));
    ClipFolder folder = new ClipFolder(root);
    assertThat(folder.countFrames("page/v1")).isEqualTo(3);
    assertThat(folder.countEntriesFaithful("page/v1")).isEqualTo(5);
  }

  @Test
  void gapInNumberingNamesTheMissingIndex() throws IOException {
    frames("v", 0, 1, 3, 4);
    assertThatThrownBy(() -> new ClipFolder(root).countFrames("v"))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("2.npz is missing")
        .hasMessageContaining("highest is 4.npz");
  }

  @Test
  void oneBasedNumberingIsAGapAtZero() throws IOException {
    frames("v", 1, 2, 3);
    assertThatThrownBy(() -> new ClipFolder(root).countFrames("v"))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("0.npz is missing");
  }

  @Test
  void leadingZeroNamesAreRejected() throws IOException {
    frames("v", 0);
    Files.createFile(root.resolve("v/01.npz"));
    assertThatThrownBy(() -> new ClipFolder(root).countFrames("v"))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("01.npz");
  }

  @Test
  void emptyFolderIsAnError() throws IOException {
    Files.createDirectories(root.resolve("v"));
    assertThatThrownBy(() -> new ClipFolder(root).countFrames("v"))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("found none");
  }

  @Test
  void missingClipFolderNamesPathAndFix() {
    ClipFolder folder = new ClipFolder(root);
    assertThatThrownBy(() -> folder.countFrames("nope"))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(root.resolve("nope").toString())
        .hasMessageContaining("not found")
        .hasMessageContaining("video id")
        .satisfies(e -> assertThat(((InvalidInputFileException) e).path()).isEqualTo(root.resolve("nope")));
  }

  @Test
  void missingFeaturesRootIsAnError() {
    Path missing = root.resolve("does-not-exist");
    assertThatThrownBy(() -> new ClipFolder(missing))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("features root not found");
  }

  @Test
  void videoIdCannotEscapeTheRoot() {
    ClipFolder folder = new ClipFolder(root);
    assertThatThrownBy(() -> folder.clipDir("../x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> folder.clipDir("/abs")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> folder.frameFile("v", -1)).isInstanceOf(IllegalArgumentException.class);
  }
}
