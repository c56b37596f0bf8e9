package regionvlp.run;

import regionvlp.data.AtomicFiles;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import regionvlp.data.InvalidInputFileException;
import regionvlp.model.DualEncoder;

/**
 * A training run's folder:
 *
 * <pre>
 *   config.json          the resolved experiment config
 *   provenance.json      git commit, seed, versions, platform
 *   metrics.jsonl        one JSON object per logged step and per evaluation
 *   checkpoints/step-N/  model.safetensors, config.json, provenance.json, and for resuming
 *                        optimizer.safetensors and trainer-state.json ({@link Checkpoints})
 *   checkpoints/last     the name of the newest complete checkpoint
 * </pre>
 *
 * <p>{@code last} is replaced atomically only after its checkpoint folder is complete and in place, so it
 * always names a readable checkpoint.
 */
public final class RunDir implements AutoCloseable {
  /** The metrics log's file name. */
  public static final String METRICS = "metrics.jsonl";
  private static final Pattern STEP_DIR = Pattern.compile("step-(\\d+)");
  private final Path dir;
  private final ExperimentConfig config;
  private final Provenance provenance;
  private final BufferedWriter metrics;

  private RunDir(Path dir, ExperimentConfig config, Provenance provenance) throws IOException {
    this.dir = dir;
    this.config = config;
    this.provenance = provenance;
    this.metrics = Files.newBufferedWriter(dir.resolve(METRICS), StandardCharsets.UTF_8,
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
        throw new IllegalArgumentException(dir + " already holds a run; choose a new --out, or continue it with"
            + " train --resume " + dir);
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

  /**
   * Reopens a run to continue it from its checkpoint at {@code step} ({@code train --resume}). Tidies what
   * the interrupted process left: temporary checkpoint folders, checkpoints newer than {@code step} (written
   * after {@code last} was last updated; training will write them again), and {@code metrics.jsonl} lines
   * of steps after {@code step}, so that no step is logged twice. Then rewrites {@code config.json} (which
   * may carry safe overrides) and {@code provenance.json} (which records the resume).
   *
   * @param log told what was removed
   */
  public static RunDir resume(Path dir, ExperimentConfig config, Provenance provenance, long step,
      Consumer<String> log) {
    try {
      Path ckpts = dir.resolve("checkpoints");
      try (Stream<Path> s = Files.list(ckpts)) {
        for (Path p : (Iterable<Path>) s.sorted()::iterator) {
          String name = p.getFileName().toString();
          Matcher m = STEP_DIR.matcher(name);
          // Temporary checkpoint folders and temporary files of `last` (AtomicFiles names them .last*.tmp).
          boolean stale = name.startsWith(".step-") || name.startsWith(".last") && name.endsWith(".tmp")
              || m.matches() && Long.parseLong(m.group(1)) > step;
          if (stale) {
            log.accept("removing " + p + " (written after checkpoints/last was last updated)");
            Checkpoints.deleteTree(p);
          }
        }
      }
      int dropped = truncateMetrics(dir.resolve(METRICS), step);
      if (dropped > 0) {
        log.accept("removed " + dropped + " line(s) of steps after " + step + " from " + dir.resolve(METRICS));
      }
      AtomicFiles.writeString(dir.resolve("config.json"), Json.MAPPER.writeValueAsString(config));
      provenance.write(dir.resolve("provenance.json"));
      return new RunDir(dir, config, provenance);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot reopen run directory " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Keeps the lines of {@code file} whose {@code step} is at most {@code step}. A last line that is not
   * JSON was cut short by a kill and is dropped too; anything else that is not a record with a step is
   * an error, as the file is then not ours.
   *
   * @return the number of lines removed
   */
  static int truncateMetrics(Path file, long step) throws IOException {
    if (!Files.exists(file)) {
      return 0;
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    StringBuilder keep = new StringBuilder();
    int dropped = 0;
    for (int i = 0; i < lines.size(); i++) {
      JsonNode record;
      try {
        record = Json.MAPPER.readTree(lines.get(i));
      } catch (JsonProcessingException e) {
        if (i == lines.size() - 1) {
          dropped++;
          continue;
        }
        throw new InvalidInputFileException(file, "line " + (i + 1) + ": expected a JSON record, found '"
            + lines.get(i) + "'");
      }
      if (record == null || !record.path("step").canConvertToLong()) {
        throw new InvalidInputFileException(file, "line " + (i + 1) + ": expected a record with an integer"
            + " \"step\", found '" + lines.get(i) + "'");
      }
      if (record.path("step").asLong() <= step) {
        keep.append(lines.get(i)).append('\n');
      } else {
        dropped++;
      }
    }
    if (dropped > 0) {
      AtomicFiles.writeString(file, keep.toString());
    }
    return dropped;
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
      throw new UncheckedIOException("cannot append to " + dir.resolve(METRICS), e);
    }
  }

  /**
   * Writes {@code checkpoints/step-N} (unless it exists: the final checkpoint may coincide with a periodic
   * one) and then points {@code checkpoints/last} at it.
   *
   * @param state the training state to save with it, or null for weights only
   */
  public Path checkpoint(long step, DualEncoder model, Checkpoints.Resumable state) {
    String name = "step-" + step;
    Path ckpts = dir.resolve("checkpoints");
    Path ckpt = ckpts.resolve(name);
    if (!Files.exists(ckpt)) {
      Checkpoints.save(ckpt, model, config, provenance, state);
    }
    CrashPoint.reached(CrashPoint.BEFORE_LAST, ckpt);
    AtomicFiles.writeString(ckpts.resolve("last"), name + "\n");
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
