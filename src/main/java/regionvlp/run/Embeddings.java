package regionvlp.run;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import regionvlp.data.AtomicFiles;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Npy;
import regionvlp.data.NpyArray;
import regionvlp.model.DualEncoder;
import regionvlp.model.HfTextCheckpoint;
import regionvlp.model.Params;
import regionvlp.model.PretrainedText;
import regionvlp.model.TextEncoder;
import regionvlp.model.TextEncoderConfig;
import regionvlp.text.CaptionTokenizer;

/**
 * The files of {@code regionvlp embed}: a captions file in, and out a float32 {@code .npy} matrix [n, dim]
 * (one row per input, in input order) with an ids file next to it ({@link #idsFile}) holding one id per
 * line, row i's id on line i. Also opens the text towers {@code embed text --text-tower-only} can pool.
 */
public final class Embeddings {
  /** Caption length for a Hugging Face or MiniLM tower when none is given (MiniLM's tokenizer.json uses 128). */
  public static final int DEFAULT_TOWER_LENGTH = 128;

  private Embeddings() {}

  /** What was written. */
  public record Written(Path npy, Path ids, int rows, int dim) {}

  /**
   * Reads a captions file: UTF-8, one caption per line (a final newline is optional).
   *
   * @throws InvalidInputFileException if the file is missing, not UTF-8, empty, or has a blank line (named)
   */
  public static List<String> readCaptions(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new InvalidInputFileException(file, "no such file (expected one caption per line)");
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new InvalidInputFileException(file, "not valid UTF-8 text (expected one caption per line)");
    }
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    List<String> lines = new ArrayList<>(text.lines().toList());
    if (lines.isEmpty()) {
      throw new InvalidInputFileException(file, "no captions: expected one caption per line");
    }
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        throw new InvalidInputFileException(file, String.format(Locale.ROOT,
            "line %d is blank: expected one caption per line, with no empty lines", i + 1));
      }
    }
    return lines;
  }

  /** {@code out.npy} -> {@code out.ids.txt}; a name without {@code .npy} gets {@code .ids.txt} appended. */
  public static Path idsFile(Path npy) {
    String name = npy.getFileName().toString();
    String stem = name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
    return npy.resolveSibling(stem + ".ids.txt");
  }

  /** Writes the rows as float32 [n, dim] {@code .npy} and the ids beside it, each file atomically. */
  public static Written write(Path npy, float[][] rows, List<String> ids) {
    if (ids.size() != rows.length) {
      throw new IllegalStateException(rows.length + " rows but " + ids.size() + " ids");
    }
    int n = rows.length;
    int dim = n == 0 ? 0 : rows[0].length;
    float[] flat = new float[Math.multiplyExact(n, dim)];
    for (int i = 0; i < n; i++) {
      System.arraycopy(rows[i], 0, flat, i * dim, dim);
    }
    Path idsPath = idsFile(npy);
    AtomicFiles.writeString(idsPath, ids.isEmpty() ? "" : String.join("\n", ids) + "\n");
    AtomicFiles.write(npy, Npy.toBytes(NpyArray.ofFloats(flat, n, dim)));
    return new Written(npy, idsPath, n, dim);
  }

  /**
   * A text transformer with its tokenizer, for pooled hidden states. Closing it frees the weights and the
   * tokenizer.
   *
   * @param source what the weights are, for logs and {@code --json}
   */
  public record TextTower(TextEncoder encoder, CaptionTokenizer tokenizer, AutoCloseable weights, String source)
      implements AutoCloseable {
    @Override
    public void close() {
      tokenizer.close();
      try {
        weights.close();
      } catch (Exception e) {
        throw new IllegalStateException("cannot free the text tower", e);
      }
    }
  }

  /**
   * Opens the text transformer of a checkpoint (our format), of a Hugging Face folder, or, with neither,
   * all-MiniLM-L6-v2 from the class path.
   *
   * @param checkpoint our checkpoint folder or run directory, or null
   * @param hf a Hugging Face folder, or null
   * @param maxLength tokens per caption; null for the checkpoint's own, or {@link #DEFAULT_TOWER_LENGTH}
   *     (capped at the position table) for the others
   */
  public static TextTower textTower(Path checkpoint, Path hf, Integer maxLength, NDManager manager) {
    if (checkpoint != null && hf != null) {
      throw new IllegalArgumentException("give --checkpoint or --hf, not both");
    }
    if (checkpoint != null) {
      Checkpoints.Loaded loaded = Checkpoints.load(checkpoint, manager);
      DualEncoder model = loaded.model();
      try {
        TextEncoderConfig cfg = withLength(model.config().text(), maxLength);
        return new TextTower(model.textEncoder(), PretrainedText.tokenizer(cfg), model,
            "checkpoint " + loaded.dir());
      } catch (RuntimeException e) {
        model.close();
        throw e;
      }
    }
    Params params = new Params(manager, 0);
    try {
      if (hf != null) {
        HfTextCheckpoint ckpt = HfTextCheckpoint.load(hf, 3);
        TextEncoderConfig cfg = withLength(ckpt.config(), lengthOrDefault(maxLength, ckpt.config()));
        TextEncoder tower = TextEncoder.transformerOnly(cfg, params);
        ckpt.loadInto(params, cfg);
        return new TextTower(tower, ckpt.tokenizer(cfg.maxLength()), params,
            ckpt.layout() + " " + ckpt.dir());
      }
      TextEncoderConfig base = PretrainedText.miniLmConfig(3);
      TextEncoderConfig cfg = withLength(base, lengthOrDefault(maxLength, base));
      TextEncoder tower = TextEncoder.transformerOnly(cfg, params);
      PretrainedText.loadMiniLm(params, cfg);
      return new TextTower(tower, PretrainedText.tokenizer(cfg), params, "all-MiniLM-L6-v2 (class path)");
    } catch (RuntimeException e) {
      params.close();
      throw e;
    }
  }

  private static int lengthOrDefault(Integer maxLength, TextEncoderConfig cfg) {
    return maxLength != null ? maxLength : Math.min(DEFAULT_TOWER_LENGTH, cfg.maxPositions());
  }

  private static TextEncoderConfig withLength(TextEncoderConfig cfg, Integer maxLength) {
    if (maxLength == null) {
      return cfg;
    }
    if (maxLength < 3 || maxLength > cfg.maxPositions()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "--max-length must be in [3, %d] (the tower's position table), found %d", cfg.maxPositions(),
          maxLength));
    }
    return cfg.withMaxLength(maxLength);
  }
}
