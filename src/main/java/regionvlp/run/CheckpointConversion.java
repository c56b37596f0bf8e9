package regionvlp.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import regionvlp.data.InvalidInputFileException;
import regionvlp.model.AuthorsCheckpoint;
import regionvlp.model.ModelConfig;

/**
 * {@code convert-checkpoint}: a foreign checkpoint becomes ours ({@link Checkpoints}: {@code model.safetensors},
 * {@code config.json}, {@code provenance.json}, plus {@code source.json} saying what it was converted from), so
 * that {@code eval}, {@code embed} and training can use it like any checkpoint of ours.
 *
 * <p>Inputs: the authors' DemoVLP {@code .pth} ({@link AuthorsCheckpoint}); a Hugging Face folder goes through
 * {@link #fromHuggingFaceFolder}, the one place where that loader plugs in. The written config is the {@code
 * demovlp-finetune} preset with the model sizes read from the checkpoint, {@code data.numFrames} set to the
 * frames of the (inflated) temporal embedding, and captions of exactly 100 tokens of the bundled uncased BERT
 * vocabulary (a .pth carries no tokenizer; METHOD.md 2.2).
 */
public final class CheckpointConversion {
  /** Name of the file recording the conversion inside the written checkpoint. */
  public static final String SOURCE = "source.json";

  private CheckpointConversion() {}

  /**
   * What was written.
   *
   * @param out the checkpoint folder
   * @param config its config
   * @param lines what the conversion did, one fact per line
   */
  public record Result(Path out, ExperimentConfig config, List<String> lines) {}

  /**
   * Converts {@code in} to our checkpoint folder {@code out}, which must not exist.
   *
   * @throws IllegalArgumentException if {@code out} exists or {@code in} is of an unsupported kind
   * @throws InvalidInputFileException if {@code in} is unreadable or does not fit the model
   */
  public static Result convert(Path in, Path out, AuthorsCheckpoint.Options options) {
    if (Files.exists(out)) {
      throw new IllegalArgumentException(out + " already exists; choose a new output folder (nothing was written)");
    }
    if (Files.isDirectory(in)) {
      return fromHuggingFaceFolder(in, out);
    }
    if (!Files.isRegularFile(in)) {
      throw new InvalidInputFileException(in, "no such file or folder");
    }
    return fromAuthorsPth(in, out, options);
  }

  /**
   * The dispatch point for a Hugging Face folder ({@code config.json}, {@code model.safetensors}, {@code
   * tokenizer.json}). TODO(issue 4): call the Hugging Face folder loader here once it exists.
   */
  static Result fromHuggingFaceFolder(Path folder, Path out) {
    throw new IllegalArgumentException(folder + ": converting a Hugging Face folder (config.json + "
        + "model.safetensors + tokenizer.json) is not yet supported; convert-checkpoint reads the authors' .pth");
  }

  static Result fromAuthorsPth(Path in, Path out, AuthorsCheckpoint.Options options) {
    AuthorsCheckpoint.Mapped mapped = AuthorsCheckpoint.read(in, options);
    ExperimentConfig config = configFor(mapped.config(), in);
    String json;
    try {
      json = Json.MAPPER.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    List<String> lines = mapped.report().lines();
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("convertedFrom", in.toAbsolutePath().toString());
    source.put("sha256", Provenance.sha256(in));
    source.put("kind", "DemoVLP authors' checkpoint (torch.save)");
    source.put("report", lines);
    try {
      Checkpoints.save(out, mapped.weights(), config, Provenance.capture(config.train().seed(), json),
          Map.of(SOURCE, Json.MAPPER.writeValueAsString(source)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return new Result(out, config, lines);
  }

  /** The fine-tuning preset around the checkpoint's model; frames and regions follow the model. */
  static ExperimentConfig configFor(ModelConfig model, Path in) {
    ObjectNode tree = ConfigLoader.preset("demovlp-finetune");
    tree.set("model", Json.MAPPER.valueToTree(model));
    ObjectNode data = (ObjectNode) tree.get("data");
    data.put("numFrames", model.video().maxFrames());
    data.put("numRegions", model.video().numRegions());
    return ConfigLoader.fromTree(tree, in + " (converted)");
  }
}
