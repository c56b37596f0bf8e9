package regionvlp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point down the data flow (ARCHITECTURE: data -> features -> model -> train -> run -> cli,
 * with text beside features; eval, index and serve engine-free, serve above index), checked by scanning
 * the import lines of the sources.
 */
class ArchitectureTest {
  static final Map<String, List<String>> FORBIDDEN = Map.of(
      "data", List.of("regionvlp.features", "regionvlp.text", "regionvlp.model", "regionvlp.train",
          "regionvlp.eval", "regionvlp.index", "regionvlp.run", "regionvlp.serve", "regionvlp.cli", "ai.djl.ndarray"),
      "features", List.of("regionvlp.model", "regionvlp.train", "regionvlp.eval", "regionvlp.index", "regionvlp.run",
          "regionvlp.serve", "regionvlp.cli"),
      "text", List.of("regionvlp.model", "regionvlp.train", "regionvlp.index", "regionvlp.run", "regionvlp.serve",
          "regionvlp.cli", "ai.djl.ndarray"),
      "model", List.of("regionvlp.train", "regionvlp.index", "regionvlp.run", "regionvlp.serve", "regionvlp.cli"),
      "train", List.of("regionvlp.index", "regionvlp.run", "regionvlp.serve", "regionvlp.cli"),
      "eval", List.of("regionvlp.model", "regionvlp.train", "regionvlp.index", "regionvlp.run", "regionvlp.serve",
          "regionvlp.cli", "ai.djl"),
      // index and serve work on plain arrays: no engine, no model; serve reaches a model only through
      // index.Searcher, which run implements.
      "index", List.of("regionvlp.features", "regionvlp.text", "regionvlp.model", "regionvlp.train",
          "regionvlp.run", "regionvlp.serve", "regionvlp.cli", "ai.djl"),
      "serve", List.of("regionvlp.features", "regionvlp.text", "regionvlp.model", "regionvlp.train",
          "regionvlp.run", "regionvlp.cli", "ai.djl"),
      "run", List.of("regionvlp.serve", "regionvlp.cli"));

  @Test
  void importsFollowTheDataFlow() throws IOException {
    Path root = Path.of("src/main/java/regionvlp");
    assertThat(root).as("run from the project root").isDirectory();
    List<String> violations = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : FORBIDDEN.entrySet()) {
      try (Stream<Path> files = Files.walk(root.resolve(e.getKey()))) {
        for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
          for (String line : Files.readAllLines(f)) {
            if (!line.startsWith("import ")) {
              continue;
            }
            for (String bad : e.getValue()) {
              if (line.startsWith("import " + bad + ".") || line.startsWith("import static " + bad + ".")) {
                violations.add(root.relativize(f) + ": " + line);
              }
            }
          }
        }
      }
    }
    assertThat(violations).as("imports against the data flow").isEmpty();
  }
}
