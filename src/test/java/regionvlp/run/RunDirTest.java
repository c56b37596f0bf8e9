package regionvlp.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.InvalidInputFileException;

class RunDirTest {
  @Test
  void resumeKeepsTheMetricsLinesUpToTheCheckpointStepAndDropsATornLastLine(@TempDir Path dir) throws Exception {
    Path f = dir.resolve(RunDir.METRICS);
    Files.writeString(f, """
        {"step":1,"loss":2.5}
        {"step":2,"loss":2.4}
        {"step":2,"epoch":1,"val":{"t2v":{}}}
        {"step":3,"loss":2.3}
        {"step":4,"lo""");
    assertThat(RunDir.truncateMetrics(f, 2)).isEqualTo(2);
    assertThat(Files.readString(f)).isEqualTo("""
        {"step":1,"loss":2.5}
        {"step":2,"loss":2.4}
        {"step":2,"epoch":1,"val":{"t2v":{}}}
        """);
  }

  @Test
  void metricsWithNothingAfterTheCheckpointAreLeftAsTheyAre(@TempDir Path dir) throws Exception {
    Path f = dir.resolve(RunDir.METRICS);
    String text = "{\"step\":1,\"loss\":2.5}\n{\"step\":2,\"loss\":2.4}\n";
    Files.writeString(f, text);
    assertThat(RunDir.truncateMetrics(f, 2)).isZero();
    assertThat(Files.readString(f)).isEqualTo(text);
    assertThat(RunDir.truncateMetrics(dir.resolve("absent.jsonl"), 2)).isZero();
  }

  @Test
  void aBrokenLineBeforeTheLastIsAnErrorNamingFileAndLine(@TempDir Path dir) throws Exception {
    Path f = dir.resolve(RunDir.METRICS);
    String text = "{\"step\":1}\nnot json\n{\"step\":3}\n";
    Files.writeString(f, text);
    assertThatThrownBy(() -> RunDir.truncateMetrics(f, 1))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("line 2");
    Files.writeString(f, "{\"loss\":1}\n{\"step\":3}\n");
    assertThatThrownBy(() -> RunDir.truncateMetrics(f, 1))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("line 1: expected a record with an integer \"step\"");
    assertThat(Files.readString(f)).isEqualTo("{\"loss\":1}\n{\"step\":3}\n");
  }
}
