package regionvlp.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Safetensors;
import regionvlp.model.DualEncoder;
import regionvlp.model.ModelConfig;
import regionvlp.model.TextEncoderConfig;
import regionvlp.model.VideoEncoder;
import regionvlp.model.VideoEncoderConfig;

/**
 * Initialising a model from a regionvlp checkpoint with a different frame count: fine-tuning from a
 * pre-trained checkpoint ({@code train --init-from}, METHOD.md 4.2) and zero-shot evaluation of it with a
 * fine-tune preset's 8-frame protocol ({@code eval --preset}, 5.4).
 *
 * <p>Every tensor of both towers is copied. {@code object_model.temporal_embed} [1, F_saved, W] is fitted to
 * the model's [1, F, W] as the original's {@code load_temporal_fix='zeros'} does: frames 0..F_saved-1 keep
 * their vectors, later frames are zeros (a checkpoint with more frames than the model keeps its first F).
 * Any other shape difference, a missing or an unexpected tensor is an error naming the tensor and both
 * shapes. The text tower must have the same sizes and tokenizer as the checkpoint's.
 */
public final class CheckpointInit {
  /** The temporal embedding, the one tensor whose shape may differ. */
  public static final String TEMPORAL = VideoEncoder.PREFIX + "temporal_embed";

  private CheckpointInit() {}

  /**
   * What was loaded.
   *
   * @param checkpoint the resolved checkpoint folder
   * @param weightsSha256 hex SHA-256 of its weights file
   * @param tensors tensors copied
   * @param savedFrames frames of the checkpoint's temporal embedding
   * @param frames frames of the model's
   */
  public record Report(Path checkpoint, String weightsSha256, int tensors, int savedFrames, int frames) {
    /** One line on the temporal embedding. */
    public String temporalEmbed() {
      if (savedFrames == frames) {
        return "temporal_embed: " + frames + " frame(s), as saved";
      }
      return savedFrames < frames
          ? String.format(Locale.ROOT, "temporal_embed: inflated from %d to %d frames with zeros (frames %d..%d"
              + " zero, %s kept)", savedFrames, frames, savedFrames, frames - 1,
              savedFrames == 1 ? "frame 0" : "frames 0.." + (savedFrames - 1))
          : String.format(Locale.ROOT, "temporal_embed: cut from %d to the first %d frames", savedFrames, frames);
    }

    /** For metrics.jsonl and the eval protocol block. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("checkpoint", checkpoint.toAbsolutePath().toString());
      m.put("weightsSha256", weightsSha256);
      m.put("tensors", tensors);
      m.put("checkpointFrames", savedFrames);
      m.put("frames", frames);
      m.put("temporalEmbed", temporalEmbed());
      return m;
    }
  }

  /**
   * Copies the checkpoint's weights into {@code model}.
   *
   * @param model a model built from {@code cfg} (its text tower's own initialisation is overwritten)
   * @param cfg the new run's model config
   * @param arg a checkpoint folder or run directory
   * @throws InvalidInputFileException if a tower does not match, naming the key or the tensor and both shapes
   */
  public static Report apply(DualEncoder model, ModelConfig cfg, Path arg) {
    Path dir = Checkpoints.resolve(arg);
    ModelConfig saved = Checkpoints.readConfig(dir).model();
    Path cfgFile = dir.resolve(Checkpoints.CONFIG);
    checkText(saved.text(), cfg.text(), cfgFile);
    checkVideo(saved.video(), cfg.video(), cfgFile);
    Path file = dir.resolve(Checkpoints.WEIGHTS);
    Safetensors.Contents contents = Safetensors.read(file);
    Map<String, NDArray> params = model.params().all();
    Set<String> missing = new TreeSet<>(params.keySet());
    missing.removeAll(contents.tensors().keySet());
    Set<String> unexpected = new TreeSet<>(contents.tensors().keySet());
    unexpected.removeAll(params.keySet());
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      throw new InvalidInputFileException(file, "tensors do not match the new model: missing " + missing
          + ", unexpected " + unexpected);
    }
    int savedFrames = -1;
    for (Map.Entry<String, Safetensors.Tensor> e : contents.tensors().entrySet()) {
      String name = e.getKey();
      Shape want = params.get(name).getShape();
      Shape found = new Shape(e.getValue().shape());
      float[] values = e.getValue().values();
      if (name.equals(TEMPORAL) && found.dimension() == 3 && want.dimension() == 3
          && found.get(0) == 1 && found.get(2) == want.get(2)) {
        savedFrames = (int) found.get(1);
        values = fitFrames(values, savedFrames, (int) want.get(1), (int) want.get(2));
        found = want;
      }
      if (!want.equals(found)) {
        throw new InvalidInputFileException(file, "tensor '" + name + "': the new model expects shape " + want
            + ", the checkpoint holds " + found + (name.equals(TEMPORAL)
                ? " (only the frame axis of temporal_embed may differ)" : ""));
      }
      model.params().assign(name, values, want);
    }
    return new Report(dir, Checkpoints.weightsSha256(dir), contents.tensors().size(), savedFrames,
        cfg.video().maxFrames());
  }

  /**
   * Loads a checkpoint into a new model whose temporal embedding holds {@code frames} frames (at least the
   * saved count), zero-inflated: the checkpoint's model otherwise unchanged.
   */
  public static Loaded load(Path arg, NDManager manager, int frames) {
    ExperimentConfig saved = Checkpoints.readConfig(arg);
    VideoEncoderConfig v = saved.model().video();
    int f = Math.max(frames, v.maxFrames());
    ModelConfig model = new ModelConfig(new VideoEncoderConfig(v.featureDim(), v.width(), v.depth(), v.numHeads(),
        v.mlpDim(), f, v.numRegions(), v.initStd()), saved.model().text(), saved.model().embedDim());
    DualEncoder m = new DualEncoder(model, manager, saved.train().seed());
    try {
      Report r = apply(m, model, arg);
      return new Loaded(m, saved, r);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** A model loaded by {@link #load} with the config it was trained with and what the loading did. */
  public record Loaded(DualEncoder model, ExperimentConfig config, Report report) {}

  /** [1, from, w] to [1, to, w]: zeros after the saved frames, or the first {@code to} frames. */
  static float[] fitFrames(float[] values, int from, int to, int w) {
    float[] out = new float[to * w];
    System.arraycopy(values, 0, out, 0, Math.min(from, to) * w);
    return out;
  }

  private static void checkText(TextEncoderConfig saved, TextEncoderConfig now, Path file) {
    List<String> diffs = new ArrayList<>();
    diff(diffs, "model.text.vocabSize", saved.vocabSize(), now.vocabSize());
    diff(diffs, "model.text.width", saved.width(), now.width());
    diff(diffs, "model.text.depth", saved.depth(), now.depth());
    diff(diffs, "model.text.numHeads", saved.numHeads(), now.numHeads());
    diff(diffs, "model.text.ffnDim", saved.ffnDim(), now.ffnDim());
    diff(diffs, "model.text.maxPositions", saved.maxPositions(), now.maxPositions());
    diff(diffs, "model.text.maxLength", saved.maxLength(), now.maxLength());
    diff(diffs, "model.text.layerNormEps", saved.layerNormEps(), now.layerNormEps());
    diff(diffs, "model.text.activation", saved.activation(), now.activation());
    diff(diffs, "tokenizer (model.text.init, hfPath)", tokenizer(saved), tokenizer(now));
    if (!diffs.isEmpty()) {
      throw new InvalidInputFileException(file, "the text tower differs from the new config's: "
          + String.join(", ", diffs) + "; both towers are loaded from the checkpoint, so set model.text to the"
          + " checkpoint's values");
    }
  }

  private static void checkVideo(VideoEncoderConfig saved, VideoEncoderConfig now, Path file) {
    List<String> diffs = new ArrayList<>();
    // Shapes catch the sizes too, but not the head count, which splits the same weights differently.
    diff(diffs, "model.video.numHeads", saved.numHeads(), now.numHeads());
    diff(diffs, "model.video.numRegions", saved.numRegions(), now.numRegions());
    if (!diffs.isEmpty()) {
      throw new InvalidInputFileException(file, "the video tower differs from the new config's: "
          + String.join(", ", diffs));
    }
  }

  /** Which tokenizer a text config implies: a Hugging Face folder's, or the bundled uncased BERT one. */
  private static String tokenizer(TextEncoderConfig t) {
    return t.init() == TextEncoderConfig.Init.HF ? "HF folder " + t.hfPath() : "bundled bert-base-uncased";
  }

  private static void diff(List<String> out, String key, Object saved, Object now) {
    if (!saved.equals(now)) {
      out.add(String.format(Locale.ROOT, "%s: checkpoint %s, config %s", key, saved, now));
    }
  }
}
