package regionvlp.run;

import regionvlp.data.AtomicFiles;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import regionvlp.model.DualEncoder;

/**
 * A training run's folder:
 *
 * <pre>
 *   config.json          the resolved experiment config
 *   provenance.json      git commit, seed, versions, platform
 *   metrics.jsonl        one JSON object per logged step and per evaluation
 *   checkpoints/step-N/  model.safetensors, config.json, provenance.json
 *   checkpoints/last     the name of the newest complete checkpoint
 * </pre>
 */
public final class RunDir implements AutoCloseable {
  private final Path dir;
  private final ExperimentConfig config;
  private final Provenance provenance;
  private final BufferedWriter metrics;

  private RunDir(Path dir, ExperimentConfig config, Provenance provenance) throws IOException {
    this.dir = dir;
    this.config = config;
    this.provenance = provenance;
    this.metrics = Files.newBufferedWriter(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /**
   * Creates a new run folder and writes its config and provenance.
   *
   * @throws IllegalArgumentException if {@code dir} already holds a run (nothing is overwritten)
   */
  public static RunDir create(Path dir, ExperimentConfig config) {
    try {
      if (Files.exists(dir.resolve("config.json")) || Files.exists(dir.resolve("checkpoints"))) {
        throw new IllegalArgumentException(dir + " already holds a run; choose a new --out");
      }
      Files.createDirectories(dir);
      String json = Json.MAPPER.writeValueAsString(config);
      AtomicFiles.writeString(dir.resolve("config.json"), json);
      Provenance p = Provenance.capture(config.train().seed(), json);
      p.write(dir.resolve("provenance.json"));
      return new RunDir(dir, config, p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create run directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The folder. */
  public Path path() {
    return dir;
  }

  /** Appends one record to metrics.jsonl and flushes it. */
  public void log(Map<String, Object> record) {
    try {
      metrics.write(Json.COMPACT.writeValueAsString(record));
      metrics.newLine();
      metrics.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + dir.resolve("metrics.jsonl"), e);
    }
  }

  /** Writes {@code checkpoints/step-N} and then points {@code checkpoints/last} at it. */
  public Path checkpoint(long step, DualEncoder model) {
    String name = "step-" + step;
    Path ckpt = dir.resolve("checkpoints").resolve(name);
    if (!Files.exists(ckpt)) {
      Checkpoints.save(ckpt, model, config, provenance);
    }
    AtomicFiles.writeString(dir.resolve("checkpoints").resolve("last"), name + "\n");
    return ckpt;
  }

  @Override
  public void close() {
    try {
      metrics.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
