package regionvlp.run;

import regionvlp.data.AtomicFiles;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Safetensors;
import regionvlp.model.DualEncoder;

/**
 * Our checkpoint: a folder holding {@code model.safetensors} (every parameter, float32, named as in the
 * original state dict), {@code config.json} (the resolved experiment config, enough to rebuild the model)
 * and {@code provenance.json}. Each file is written atomically; the folder is written under a temporary
 * name and renamed into place last, so a crash never leaves half a checkpoint.
 */
public final class Checkpoints {
  /** Weights file name. */
  public static final String WEIGHTS = "model.safetensors";
  /** Config file name. */
  public static final String CONFIG = "config.json";
  /** Provenance file name. */
  public static final String PROVENANCE = "provenance.json";
  /** Format version written into the safetensors metadata. */
  public static final String FORMAT = "regionvlp-checkpoint-1";

  private Checkpoints() {}

  /** A model loaded with the config it was trained with. */
  public record Loaded(DualEncoder model, ExperimentConfig config, Path dir) {}

  /** Saves {@code model} into {@code dir} (which must not exist yet). */
  public static void save(Path dir, DualEncoder model, ExperimentConfig config, Provenance provenance) {
    try {
      Path parent = dir.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".");
      Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : model.params().all().entrySet()) {
        tensors.put(e.getKey(), new Safetensors.Tensor(e.getValue().getShape().getShape(),
            e.getValue().toFloatArray()));
      }
      AtomicFiles.write(tmp.resolve(WEIGHTS), Safetensors.toBytes(tensors, Map.of("format", FORMAT)));
      AtomicFiles.writeString(tmp.resolve(CONFIG), Json.MAPPER.writeValueAsString(config));
      provenance.write(tmp.resolve(PROVENANCE));
      Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save checkpoint " + dir + ": " + e.getMessage(), e);
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
}
