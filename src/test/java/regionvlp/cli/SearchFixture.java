package regionvlp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import regionvlp.data.synth.SynthConfig;
import regionvlp.data.synth.SynthVid;

/**
 * One small real search setup shared by the search tests of this JVM (built once, it costs a training
 * run): a SynthVid corpus with 40 test videos (real .npz files), a tiny model trained on it through the
 * {@code train} command, and an index of the test split built through {@code index build --regions
 * --hnsw}.
 */
final class SearchFixture {
  record Setup(Path root, Path data, Path run, Path index) {
    Path features() {
      return data.resolve("features");
    }

    Path testTsv() {
      return data.resolve("test.tsv");
    }
  }

  private static Setup setup;

  private SearchFixture() {}

  static synchronized Setup get() {
    if (setup == null) {
      setup = build();
    }
    return setup;
  }

  private static Setup build() {
    Path root;
    try {
      root = Files.createTempDirectory("regionvlp-search-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
    Path data = root.resolve("data");
    SynthVid.generate(SynthConfig.defaults().withSeed(5).withTrainVideos(48).withValVideos(0).withTestVideos(40)
        .withFeatureDim(16).withThreads(2), data, SynthVid.Progress.none());
    Path run = root.resolve("run");
    CliTest.Result t = CliTest.run(CliTest.concat(new String[] {"train", "--config", "quickstart", "--out",
        run.toString(), "--set", "data.features=" + data.resolve("features"), "--set",
        "data.trainMeta=" + data.resolve("train.tsv")}, CliTest.tinyModel()));
    assertThat(t.exit()).as(t.err()).isZero();
    Path index = root.resolve("index");
    CliTest.Result b = CliTest.run("index", "build", "--checkpoint", run.toString(), "--features",
        data.resolve("features").toString(), "--meta", data.resolve("test.tsv").toString(), "--out",
        index.toString(), "--regions", "--hnsw");
    assertThat(b.exit()).as(b.err()).isZero();
    return new Setup(root, data, run, index);
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // a temp folder left behind is harmless
    }
  }
}
