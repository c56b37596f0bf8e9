package regionvlp.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ai.djl.ndarray.NDManager;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Safetensors;
import regionvlp.model.DualEncoder;
import regionvlp.model.HfTextCheckpoint;
import regionvlp.model.TextEncoderConfig;
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
    return convert(in, out, options, "demovlp-finetune", List.of());
  }

  /**
   * As {@link #convert(Path, Path, AuthorsCheckpoint.Options)}; for a Hugging Face folder, {@code configArg}
   * (a preset or file) and {@code overrides} ({@code key=value}) describe the model built around its text tower.
   */
  public static Result convert(Path in, Path out, AuthorsCheckpoint.Options options, String configArg,
      List<String> overrides) {
    if (Files.exists(out)) {
      throw new IllegalArgumentException(out + " already exists; choose a new output folder (nothing was written)");
    }
    if (Files.isDirectory(in)) {
      return fromHuggingFaceFolder(in, out, configArg, overrides);
    }
    if (!Files.isRegularFile(in)) {
      throw new InvalidInputFileException(in, "no such file or folder");
    }
    return fromAuthorsPth(in, out, options);
  }

  /**
   * A Hugging Face folder ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json}, BERT or
   * DistilBERT) holds a text tower only. The checkpoint written is the model of {@code configArg} (default
   * {@code demovlp-finetune}) with that tower ({@code model.text.init=HF}, sizes from the folder) and a freshly
   * initialised region transformer and projections (the config's seed): a starting point for training, recorded
   * as such in {@code source.json}.
   * The config keeps the folder's absolute path, whose {@code tokenizer.json} tokenises the captions.
   */
  static Result fromHuggingFaceFolder(Path folder, Path out, String configArg, List<String> overrides) {
    List<String> sets = new java.util.ArrayList<>(overrides);
    sets.add("model.text.init=HF");
    sets.add("model.text.hfPath=" + folder.toAbsolutePath());
    ExperimentConfig config = ConfigLoader.load(configArg, sets);
    Map<String, Safetensors.Tensor> tensors;
    try (NDManager manager = NDManager.newBaseManager();
        DualEncoder model = Training.initialModel(config, manager)) {
      tensors = Checkpoints.tensorsOf(model);
    }
    TextEncoderConfig text = config.model().text();
    List<String> lines = List.of(
        "text tower: " + text.depth() + " x " + text.width() + " from " + folder.toAbsolutePath()
            + " (tokenizer: its tokenizer.json, " + text.maxLength() + " tokens)",
        "video tower and projections: fresh initialisation (seed " + config.train().seed()
            + "); train or fine-tune before evaluating");
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("convertedFrom", folder.toAbsolutePath().toString());
    source.put("sha256", Provenance.sha256(folder.resolve(HfTextCheckpoint.WEIGHTS)));
    source.put("kind", "Hugging Face text model folder (text tower only)");
    source.put("report", lines);
    try {
      String json = Json.MAPPER.writeValueAsString(config);
      Checkpoints.save(out, tensors, config, Provenance.capture(config.train().seed(), json),
          Map.of(SOURCE, Json.MAPPER.writeValueAsString(source)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return new Result(out, config, lines);
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
