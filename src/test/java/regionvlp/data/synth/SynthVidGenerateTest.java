package regionvlp.data.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.FrameFeatures;

/** Exercises the writer with an in-memory frame sink, so it does not depend on BottomUpNpz. */
class SynthVidGenerateTest {
  @TempDir Path tmp;

  @Test
  void writesTsvsJsonAndEveryFrameDeterministicallyAcrossThreadCounts() throws IOException {
    SynthConfig cfg = SynthTestSupport.small().withTrainVideos(12).withValVideos(4).withTestVideos(8);
    Map<Path, FrameFeatures> sink1 = new ConcurrentHashMap<>();
    AtomicLong last = new AtomicLong();
    SynthReport r = SynthVid.generate(cfg.withThreads(3), tmp.resolve("a"), (d, t) -> last.set(d),
        (f, fr, c) -> sink1.put(tmp.resolve("a").relativize(f), fr));
    Map<Path, FrameFeatures> sink2 = new ConcurrentHashMap<>();
    SynthVid.generate(cfg.withThreads(1), tmp.resolve("b"), SynthVid.Progress.none(),
        (f, fr, c) -> sink2.put(tmp.resolve("b").relativize(f), fr));

    assertThat(last.get()).isEqualTo(24);
    assertThat(sink1).hasSize(24 * 16).isEqualTo(sink2);
    assertThat(sink1).containsKey(Path.of("features", "train_000011", "15.npz"));
    List<String> train = Files.readAllLines(tmp.resolve("a/train.tsv"), StandardCharsets.UTF_8);
    assertThat(train).hasSize(36).allMatch(l -> l.matches("[^\t]+\ttrain_0000\\d\\d"));
    assertThat(Files.readAllLines(tmp.resolve("a/test.tsv"))).hasSize(8);
    assertThat(Files.readString(tmp.resolve("a/test.tsv"))).isEqualTo(Files.readString(tmp.resolve("b/test.tsv")));
    assertThat(r.trainCaptions()).isEqualTo(36);
    assertThat(r.oracle().r1()).isLessThanOrEqualTo(0.5);
    JsonNode json = new ObjectMapper().readTree(tmp.resolve("a/synth.json").toFile());
    assertThat(json.get("formatVersion").asInt()).isEqualTo(SynthVid.FORMAT_VERSION);
    assertThat(json.get("config").get("featureDim").asInt()).isEqualTo(16);
    assertThat(json.get("bagOfObjectsOracle").get("t2vR1").asDouble()).isEqualTo(r.oracle().r1());
    try (var s = Files.list(tmp.resolve("a"))) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
  }

  @Test
  void failedWriteLeavesNoTsvOrMarker() {
    SynthConfig cfg = SynthTestSupport.small().withTrainVideos(4).withValVideos(0).withTestVideos(2);
    assertThatThrownBy(() -> SynthVid.generate(cfg, tmp, SynthVid.Progress.none(), (f, fr, c) -> {
      throw new IllegalStateException("disk full");
    })).hasMessageContaining("disk full");
    assertThat(tmp.resolve("synth.json")).doesNotExist();
    assertThat(tmp.resolve("train.tsv")).doesNotExist();
  }
}
