package regionvlp.run;

import regionvlp.data.AtomicFiles;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Safetensors;
import regionvlp.model.DualEncoder;
import regionvlp.train.AdamW;

/**
 * Our checkpoint: a folder holding {@code model.safetensors} (every parameter, float32, named as in the
 * original state dict), {@code config.json} (the resolved experiment config, enough to rebuild the model)
 * and {@code provenance.json}. A checkpoint written during training also holds what an exact resume needs:
 * {@code optimizer.safetensors} (the AdamW moments {@code exp_avg.NAME} and {@code exp_avg_sq.NAME}, with
 * the step in the metadata) and {@code trainer-state.json} ({@link TrainerState}).
 *
 * <p>Crash safety: the files are written into a temporary folder {@code .NAME.*} beside the target, each
 * one synced, then the folder is synced and renamed into place and its parent synced. A reader therefore
 * sees a complete checkpoint or none; a crash leaves at most a temporary folder, which
 * {@code train --resume} removes.
 */
public final class Checkpoints {
  /** Weights file name. */
  public static final String WEIGHTS = "model.safetensors";
  /** Config file name. */
  public static final String CONFIG = "config.json";
  /** Provenance file name. */
  public static final String PROVENANCE = "provenance.json";
  /** Optimizer state file name (training checkpoints only). */
  public static final String OPTIMIZER = "optimizer.safetensors";
  /** Trainer state file name (training checkpoints only). */
  public static final String TRAINER_STATE = "trainer-state.json";
  /** Format version written into the safetensors metadata. */
  public static final String FORMAT = "regionvlp-checkpoint-1";
  /** Format version of {@link #OPTIMIZER}. */
  public static final String OPTIMIZER_FORMAT = "regionvlp-adamw-1";
  private static final String FIRST = "exp_avg.";
  private static final String SECOND = "exp_avg_sq.";

  private Checkpoints() {}

  /** A model loaded with the config it was trained with. */
  public record Loaded(DualEncoder model, ExperimentConfig config, Path dir) {}

  /**
   * What a training checkpoint holds beyond the model.
   *
   * @param trainer where the run stands
   * @param optimizer the optimizer whose moments are saved, or null to save none (a run's final
   *     checkpoint: nothing is left to continue, and the moments would triple its size)
   */
  public record Resumable(TrainerState trainer, AdamW optimizer) {}

  /** Saves {@code model} into {@code dir} (which must not exist yet). */
  public static void save(Path dir, DualEncoder model, ExperimentConfig config, Provenance provenance) {
    save(dir, model, config, provenance, null);
  }

  /**
   * Saves {@code model}, and the training state when {@code training} is not null, into {@code dir}
   * (which must not exist yet).
   */
  public static void save(Path dir, DualEncoder model, ExperimentConfig config, Provenance provenance,
      Resumable training) {
    write(dir, tensorsOf(model), config, provenance, training, Map.of());
  }

  /**
   * Saves parameter values (every parameter of a model built from {@code config}, by name) into {@code dir}
   * (which must not exist yet), with extra text files beside them (e.g. where a converted checkpoint came from).
   */
  public static void save(Path dir, Map<String, Safetensors.Tensor> tensors, ExperimentConfig config,
      Provenance provenance, Map<String, String> extraFiles) {
    write(dir, tensors, config, provenance, null, extraFiles);
  }

  /** The model's parameter values by name, copied to the host. */
  static Map<String, Safetensors.Tensor> tensorsOf(DualEncoder model) {
    return tensors("", model.params().all());
  }

  private static void write(Path dir, Map<String, Safetensors.Tensor> weights, ExperimentConfig config,
      Provenance provenance, Resumable training, Map<String, String> extraFiles) {
    Path parent = dir.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(parent);
      tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".");
      AtomicFiles.write(tmp.resolve(WEIGHTS), Safetensors.toBytes(weights, Map.of("format", FORMAT)));
      if (training != null) {
        AdamW opt = training.optimizer();
        if (opt != null) {
          Map<String, Safetensors.Tensor> moments = tensors(FIRST, opt.firstMoments());
          moments.putAll(tensors(SECOND, opt.secondMoments()));
          AtomicFiles.write(tmp.resolve(OPTIMIZER), Safetensors.toBytes(moments,
              Map.of("format", OPTIMIZER_FORMAT, "step", Long.toString(opt.step()))));
        }
        AtomicFiles.writeString(tmp.resolve(TRAINER_STATE), Json.MAPPER.writeValueAsString(training.trainer()));
      }
      AtomicFiles.writeString(tmp.resolve(CONFIG), Json.MAPPER.writeValueAsString(config));
      provenance.write(tmp.resolve(PROVENANCE));
      for (Map.Entry<String, String> e : extraFiles.entrySet()) {
        AtomicFiles.writeString(tmp.resolve(e.getKey()), e.getValue());
      }
      AtomicFiles.syncDirectory(tmp);
      CrashPoint.reached(CrashPoint.BEFORE_RENAME, dir);
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      tmp = null;
      AtomicFiles.syncDirectory(parent);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save checkpoint " + dir + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          deleteTree(tmp);
        } catch (UncheckedIOException ignored) {
          // The save already failed; a leftover temporary folder is never read and resume removes it.
        }
      }
    }
  }

  private static Map<String, Safetensors.Tensor> tensors(String prefix, Map<String, NDArray> arrays) {
    Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      out.put(prefix + e.getKey(), new Safetensors.Tensor(e.getValue().getShape().getShape(),
          e.getValue().toFloatArray()));
    }
    return out;
  }

  /** Deletes a folder and everything in it; best effort, for leftovers that are never read. */
  static void deleteTree(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root + ": " + e.getMessage(), e);
    }
  }

  /**
   * Resolves what a user passes as {@code --checkpoint}: a checkpoint folder, or a run directory (then its
   * newest complete checkpoint, named by {@code checkpoints/last}).
   */
  public static Path resolve(Path arg) {
    if (Files.isRegularFile(arg.resolve(WEIGHTS))) {
      return arg;
    }
    Path last = arg.resolve("checkpoints").resolve("last");
    if (Files.isRegularFile(last)) {
      try {
        Path dir = arg.resolve("checkpoints").resolve(Files.readString(last).trim());
        if (Files.isRegularFile(dir.resolve(WEIGHTS))) {
          return dir;
        }
        throw new InvalidInputFileException(last, "names " + dir + ", which holds no " + WEIGHTS);
      } catch (IOException e) {
        throw new InvalidInputFileException(last, "cannot read: " + e.getMessage(), e);
      }
    }
    throw new InvalidInputFileException(arg, "not a checkpoint: expected " + WEIGHTS
        + " in it, or a run directory with checkpoints/last");
  }

  /** The resolved experiment config a checkpoint was trained with, without loading its weights. */
  public static ExperimentConfig readConfig(Path arg) {
    Path file = resolve(arg).resolve(CONFIG);
    try {
      // Keys added since the checkpoint was written (data.store, ...) are filled by ConfigLoader.upgrade.
      return ConfigLoader.fromTree(Json.MAPPER.readTree(file.toFile()), file.toString());
    } catch (JsonProcessingException e) {
      throw new InvalidInputFileException(file, "not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  /** Hex SHA-256 of a checkpoint's weights file ({@code --checkpoint} as {@link #resolve} takes it). */
  public static String weightsSha256(Path arg) {
    Path file = resolve(arg).resolve(WEIGHTS);
    try (java.io.InputStream in = Files.newInputStream(file)) {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return java.util.HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Loads a checkpoint folder (or run directory) into a new model under {@code manager}. */
  public static Loaded load(Path arg, NDManager manager) {
    Path dir = resolve(arg);
    ExperimentConfig cfg = readConfig(dir);
    Safetensors.Contents contents = Safetensors.read(dir.resolve(WEIGHTS));
    DualEncoder model = new DualEncoder(cfg.model(), manager, cfg.train().seed());
    try {
      Map<String, NDArray> params = model.params().all();
      Set<String> missing = new TreeSet<>(params.keySet());
      missing.removeAll(contents.tensors().keySet());
      Set<String> unexpected = new TreeSet<>(contents.tensors().keySet());
      unexpected.removeAll(params.keySet());
      if (!missing.isEmpty() || !unexpected.isEmpty()) {
        throw new InvalidInputFileException(dir.resolve(WEIGHTS), "tensors do not match " + CONFIG
            + ": missing " + missing + ", unexpected " + unexpected);
      }
      for (Map.Entry<String, Safetensors.Tensor> e : contents.tensors().entrySet()) {
        Shape expected = params.get(e.getKey()).getShape();
        Shape found = new Shape(e.getValue().shape());
        if (!expected.equals(found)) {
          throw new InvalidInputFileException(dir.resolve(WEIGHTS), "tensor '" + e.getKey() + "': expected shape "
              + expected + " (from " + CONFIG + "), found " + found);
        }
        model.params().assign(e.getKey(), e.getValue().values(), found);
      }
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    return new Loaded(model, cfg, dir);
  }

  /**
   * Reads a checkpoint's {@code trainer-state.json}.
   *
   * @throws InvalidInputFileException if it is missing (a final or converted checkpoint), unreadable or of
   *     another format
   */
  public static TrainerState readTrainerState(Path dir) {
    Path file = dir.resolve(TRAINER_STATE);
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputFileException(dir, "holds no " + TRAINER_STATE
          + ": not written by train (a converted checkpoint?), so training cannot continue from it");
    }
    TrainerState state;
    try {
      state = Json.MAPPER.readValue(file.toFile(), TrainerState.class);
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read trainer state: " + e.getMessage(), e);
    }
    if (!TrainerState.FORMAT.equals(state.format())) {
      throw new InvalidInputFileException(file, "expected format " + TrainerState.FORMAT + ", found "
          + state.format());
    }
    return state;
  }

  /**
   * Copies a checkpoint's optimizer state into {@code optimizer}.
   *
   * @throws InvalidInputFileException if {@code optimizer.safetensors} is missing or does not match the
   *     optimizer's parameters or {@code expectedStep}
   */
  public static void restoreOptimizer(Path dir, AdamW optimizer, long expectedStep) {
    Path file = dir.resolve(OPTIMIZER);
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputFileException(dir, "holds no " + OPTIMIZER + " (a run's final checkpoint keeps"
          + " only the weights), so training cannot continue from it");
    }
    Safetensors.Contents c = Safetensors.read(file);
    if (!OPTIMIZER_FORMAT.equals(c.metadata().get("format"))) {
      throw new InvalidInputFileException(file, "expected metadata format " + OPTIMIZER_FORMAT + ", found "
          + c.metadata().get("format"));
    }
    long step;
    try {
      step = Long.parseLong(c.metadata().getOrDefault("step", ""));
    } catch (NumberFormatException e) {
      throw new InvalidInputFileException(file, "expected an integer 'step' in the metadata, found "
          + c.metadata().get("step"));
    }
    if (step != expectedStep) {
      throw new InvalidInputFileException(file, "optimizer step " + step + " differs from step " + expectedStep
          + " in " + TRAINER_STATE);
    }
    Map<String, float[]> first = new LinkedHashMap<>();
    Map<String, float[]> second = new LinkedHashMap<>();
    for (Map.Entry<String, Safetensors.Tensor> e : c.tensors().entrySet()) {
      String name = e.getKey();
      if (name.startsWith(SECOND)) {
        second.put(name.substring(SECOND.length()), e.getValue().values());
      } else if (name.startsWith(FIRST)) {
        first.put(name.substring(FIRST.length()), e.getValue().values());
      } else {
        throw new InvalidInputFileException(file, "unexpected tensor '" + name + "': expected names "
            + FIRST + "PARAM or " + SECOND + "PARAM");
      }
    }
    try {
      optimizer.restore(step, first, second);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputFileException(file, e.getMessage(), e);
    }
  }
}
