package regionvlp.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.PyObject;
import regionvlp.data.Safetensors;
import regionvlp.data.StateDict;
import regionvlp.text.CaptionTokenizer;

/**
 * The authors' DemoVLP checkpoints ({@code checkpoint-epochN.pth}, {@code model_best.pth}: a {@code torch.save}
 * of {@code {arch, epoch, state_dict, optimizer, monitor_best, config}}, METHOD.md Appendix B) mapped onto our
 * {@link DualEncoder}, read through {@link StateDict} so that no pickled code can run.
 *
 * <p>The mapping, in the order the original's own loader applies it ({@code ObjectRelation.__init__}):
 *
 * <ol>
 *   <li>A DataParallel {@code module.} prefix is stripped.
 *   <li>Names map one to one: our parameters carry the original names ({@code object_model.*} for the region
 *       transformer, the Hugging Face DistilBERT names under {@code text_model.*}, {@code txt_proj.1.*}).
 *   <li>{@code object_model.temporal_embed} [1, F_saved, W] is fitted to the requested frame count: frames
 *       beyond F_saved are zeros (the original's {@code load_temporal_fix='zeros'}, METHOD.md 4.2), extra frames
 *       are dropped.
 *   <li>Tensors the original creates but never uses are skipped, and reported: the final {@code
 *       object_model.norm} and each block's {@code norm3} (G7), and DistilBERT's {@code position_ids} buffer.
 *   <li>Any other name on either side is an error that lists them all: a missing tensor would leave part of
 *       the model random, an unknown one means a different architecture (the temporal-attention variant, for
 *       example).
 * </ol>
 *
 * <p>Sizes come from the tensor shapes. The number of attention heads is not stored anywhere in the file (the
 * original hard-codes 12 for both towers), so it is taken as width / 64 (12 for 768) unless given.
 */
public final class AuthorsCheckpoint {
  /** Frames the region transformer is fitted to by default when the checkpoint has fewer (METHOD.md 4.2, 5.4). */
  public static final int DEFAULT_FRAMES = 8;
  /** Tokens per caption of the original tokenizer call (METHOD.md 2.2); a .pth carries no tokenizer. */
  public static final int CAPTION_TOKENS = 100;
  /** Head width of ViT-B and DistilBERT-base, used to infer head counts. */
  static final int HEAD_DIM = 64;

  private static final String V = VideoEncoder.PREFIX;
  private static final String T = TextEncoder.PREFIX;
  private static final Pattern BLOCK = Pattern.compile(Pattern.quote(V) + "blocks\\.(\\d+)\\.(.+)");
  private static final Pattern LAYER = Pattern.compile(Pattern.quote(T) + "transformer\\.layer\\.(\\d+)\\.(.+)");

  private AuthorsCheckpoint() {}

  /**
   * What to build from the checkpoint.
   *
   * @param numFrames frames of the temporal embedding; 0 = {@link #DEFAULT_FRAMES}, or the checkpoint's count
   *     if larger
   * @param videoHeads attention heads of the region transformer; 0 = width / 64
   * @param textHeads attention heads of the text tower; 0 = width / 64
   */
  public record Options(int numFrames, int videoHeads, int textHeads) {
    public Options {
      if (numFrames < 0 || videoHeads < 0 || textHeads < 0) {
        throw new IllegalArgumentException("frames and head counts must be >= 0 (0 = default), found "
            + numFrames + ", " + videoHeads + ", " + textHeads);
      }
    }

    /** Defaults: 8 frames, 64-wide heads. */
    public static Options defaults() {
      return new Options(0, 0, 0);
    }
  }

  /**
   * What a conversion did, for the user to check.
   *
   * @param file the .pth read
   * @param savedFrames frames of the checkpoint's temporal embedding
   * @param frames frames of ours
   * @param strippedPrefix whether a {@code module.} prefix was removed
   * @param skipped names in the file that the model never uses (not loaded)
   * @param notes other facts worth a line: epoch, the pickled config's name, vocabulary warnings
   */
  public record Report(Path file, int savedFrames, int frames, boolean strippedPrefix, List<String> skipped,
      List<String> notes) {
    public Report {
      skipped = List.copyOf(skipped);
      notes = List.copyOf(notes);
    }

    /** Human-readable lines. */
    public List<String> lines() {
      List<String> out = new ArrayList<>();
      out.add("read " + file);
      if (strippedPrefix) {
        out.add("stripped the DataParallel 'module.' prefix");
      }
      out.add(savedFrames == frames ? "temporal_embed: " + frames + " frame(s), as saved"
          : savedFrames < frames
              ? String.format(Locale.ROOT, "temporal_embed: inflated from %d to %d frames with zeros (frames %d..%d)",
                  savedFrames, frames, savedFrames, frames - 1)
              : String.format(Locale.ROOT, "temporal_embed: cut from %d to the first %d frames", savedFrames,
                  frames));
      if (!skipped.isEmpty()) {
        java.util.LinkedHashSet<String> groups = new java.util.LinkedHashSet<>();
        for (String n : skipped) {
          groups.add(n.replaceFirst("^module\\.", "").replaceAll("\\.blocks\\.\\d+\\.", ".blocks.N.")
              .replaceAll("\\.(weight|bias)$", ".*"));
        }
        out.add("skipped " + skipped.size() + " tensor(s) the model never uses: " + String.join(", ", groups));
      }
      out.addAll(notes);
      return out;
    }
  }

  /**
   * The checkpoint as our config and weights.
   *
   * @param config model sizes inferred from the shapes (captions of {@link #CAPTION_TOKENS} tokens)
   * @param weights every parameter of ours, by our name, float32
   * @param report what was done
   */
  public record Mapped(ModelConfig config, Map<String, Safetensors.Tensor> weights, Report report) {
    /** A new model under {@code manager} holding these weights. */
    public DualEncoder newModel(NDManager manager) {
      DualEncoder model = new DualEncoder(config, manager, 0);
      try {
        if (!model.params().all().keySet().equals(weights.keySet())) {
          throw new IllegalStateException("AuthorsCheckpoint's parameter list is out of date with the model: "
              + model.params().all().keySet() + " vs " + weights.keySet());
        }
        for (Map.Entry<String, Safetensors.Tensor> e : weights.entrySet()) {
          model.params().assign(e.getKey(), e.getValue().values(), new Shape(e.getValue().shape()));
        }
      } catch (RuntimeException e) {
        model.close();
        throw e;
      }
      return model;
    }
  }

  /**
   * Reads an authors' checkpoint.
   *
   * @throws InvalidInputFileException naming the file and the tensors when it does not fit the model
   * @throws regionvlp.data.ForbiddenGlobalException if its pickle names a global that could run code
   */
  public static Mapped read(Path file, Options opts) {
    try (StateDict sd = StateDict.open(file)) {
      return map(sd, opts);
    }
  }

  private static Mapped map(StateDict sd, Options opts) {
    Path file = sd.file();
    Map<String, String> names = new LinkedHashMap<>(); // our name -> name in the file
    boolean stripped = false;
    for (String n : sd.names()) {
      String ours = n.startsWith("module.") ? n.substring("module.".length()) : n;
      stripped |= !ours.equals(n);
      if (names.put(ours, n) != null) {
        throw new InvalidInputFileException(file, "tensor '" + ours + "' appears both with and without the "
            + "'module.' prefix");
      }
    }
    List<String> skipped = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    Map<String, String> used = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : names.entrySet()) {
      String n = e.getKey();
      Matcher b = BLOCK.matcher(n);
      if (n.equals(V + "norm.weight") || n.equals(V + "norm.bias") || n.equals(T + "embeddings.position_ids")
          || (b.matches() && b.group(2).startsWith("norm3."))) {
        skipped.add(e.getValue());
      } else if (b.matches() && b.group(2).startsWith("timeattn.")) {
        throw new InvalidInputFileException(file, "tensor '" + e.getValue() + "' belongs to the temporal-attention "
            + "variant (time_module 'timeattn'), which regionvlp does not implement; the released retrieval "
            + "configs do not use it");
      } else {
        used.put(n, e.getValue());
      }
    }

    // Sizes from shapes.
    long[] cls = shape(sd, used, V + "cls_token", 3);
    int width = dim(cls, 2);
    long[] objEmb = shape(sd, used, V + "object_embedding.weight", 2);
    long[] boxEmb = shape(sd, used, V + "pos_embedding.weight", 2);
    if (boxEmb[1] != VideoEncoderConfig.BOX_DIM) {
      throw new InvalidInputFileException(file, "'" + used.get(V + "pos_embedding.weight") + "': expected ["
          + width + ", " + VideoEncoderConfig.BOX_DIM + "] (the 6-d box encoding), found " + Arrays.toString(boxEmb));
    }
    int numRegions = dim(shape(sd, used, V + "custom_pos_embed", 3), 1) - 1;
    int savedFrames = dim(shape(sd, used, V + "temporal_embed", 3), 1);
    int embedDim = dim(shape(sd, used, V + "proj.weight", 2), 0);
    int depth = count(used.keySet(), BLOCK, file, "object_model.blocks");
    int mlpDim = dim(shape(sd, used, V + "blocks.0.mlp.fc1.weight", 2), 0);
    int frames = opts.numFrames() > 0 ? opts.numFrames() : Math.max(savedFrames, DEFAULT_FRAMES);
    VideoEncoderConfig video = new VideoEncoderConfig(dim(objEmb, 1), width, depth,
        heads(opts.videoHeads(), width, file, "video"), mlpDim, frames, Math.max(numRegions, 1), 0.02);

    long[] words = shape(sd, used, T + "embeddings.word_embeddings.weight", 2);
    int textWidth = dim(words, 1);
    int positions = dim(shape(sd, used, T + "embeddings.position_embeddings.weight", 2), 0);
    if (positions < CAPTION_TOKENS) {
      throw new InvalidInputFileException(file, "'" + used.get(T + "embeddings.position_embeddings.weight")
          + "' has " + positions + " positions; captions are padded to " + CAPTION_TOKENS
          + " tokens as in the original (METHOD.md 2.2)");
    }
    int textDepth = count(used.keySet(), LAYER, file, "text_model.transformer.layer");
    int ffn = dim(shape(sd, used, T + "transformer.layer.0.ffn.lin1.weight", 2), 0);
    TextEncoderConfig text = new TextEncoderConfig(dim(words, 0), textWidth, textDepth,
        heads(opts.textHeads(), textWidth, file, "text"), ffn, positions, CAPTION_TOKENS, 0.02,
        TextEncoderConfig.Init.RANDOM, "", 1e-12, TextEncoderConfig.Activation.GELU); // DistilBERT's
    ModelConfig config;
    try {
      config = new ModelConfig(video, text, embedDim);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputFileException(file, "sizes inferred from the tensors do not make a model: "
          + e.getMessage());
    }

    // Every parameter of ours must be in the file with our shape, and nothing else may be left.
    Map<String, long[]> expected = expectedShapes(config);
    Set<String> missing = new TreeSet<>(expected.keySet());
    missing.removeAll(used.keySet());
    for (String n : used.keySet()) {
      if (!expected.containsKey(n)) {
        unexpected.add(used.get(n));
      }
    }
    if (!missing.isEmpty() || !unexpected.isEmpty()) {
      throw new InvalidInputFileException(file, "state dict does not fit the DemoVLP model (sizes read from it: "
          + describe(config) + "): missing " + missing.size() + " " + missing + "; unexpected " + unexpected.size()
          + " " + unexpected);
    }
    Map<String, Safetensors.Tensor> weights = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      String n = e.getKey();
      Safetensors.Tensor t = sd.get(used.get(n));
      long[] want = e.getValue();
      if (n.equals(V + "temporal_embed")) {
        t = fitFrames(t, frames);
      }
      if (!Arrays.equals(t.shape(), want)) {
        throw new InvalidInputFileException(file, "tensor '" + used.get(n) + "': expected shape "
            + Arrays.toString(want) + " (from " + describe(config) + "), found " + Arrays.toString(t.shape()));
      }
      weights.put(n, t);
    }

    List<String> notes = new ArrayList<>();
    if (sd.root() instanceof Map<?, ?> root) {
      if (root.get("epoch") != null) {
        notes.add("saved at epoch " + root.get("epoch"));
      }
      if (root.get("config") instanceof PyObject c) {
        Object cfg = c.attributes().get("_config");
        Object name = cfg instanceof Map<?, ?> m ? m.get("name") : null;
        notes.add("pickled config: " + c.className() + (name == null ? "" : " '" + name + "'")
            + " (kept as inert data, not executed)");
      }
    }
    if (config.text().vocabSize() != CaptionTokenizer.BERT_UNCASED_VOCAB) {
      notes.add("warning: the word embedding has " + config.text().vocabSize() + " rows, the bundled uncased BERT "
          + "tokenizer " + CaptionTokenizer.BERT_UNCASED_VOCAB + " ids; captions must be tokenised "
          + "with the checkpoint's own vocabulary");
    }
    notes.add("heads: video " + video.numHeads() + (opts.videoHeads() == 0 ? " (width/64)" : "") + ", text "
        + text.numHeads() + (opts.textHeads() == 0 ? " (width/64)" : "")
        + "; captions: uncased BERT WordPiece, padded to " + CAPTION_TOKENS + " tokens");
    return new Mapped(config, weights, new Report(file, savedFrames, frames, stripped, skipped, notes));
  }

  /** temporal_embed [1, Fs, W] -> [1, frames, W]: zeros after the saved frames, or the first frames. */
  private static Safetensors.Tensor fitFrames(Safetensors.Tensor t, int frames) {
    long[] s = t.shape();
    int w = (int) s[2];
    float[] out = new float[frames * w];
    System.arraycopy(t.values(), 0, out, 0, (int) Math.min(s[1], frames) * w);
    return new Safetensors.Tensor(new long[] {1, frames, w}, out);
  }

  /**
   * The shapes of every parameter a model of {@code cfg} registers, by name (listed rather than read from a
   * built model so that a wrong file fails before a full-size model is allocated; {@link Mapped#newModel}
   * checks that the two lists agree).
   */
  static Map<String, long[]> expectedShapes(ModelConfig cfg) {
    Map<String, long[]> out = new LinkedHashMap<>();
    {
      VideoEncoderConfig v = cfg.video();
      int w = v.width();
      out.put(V + "cls_token", new long[] {1, 1, w});
      out.put(V + "custom_pos_embed", new long[] {1, 1 + v.numRegions(), w});
      out.put(V + "temporal_embed", new long[] {1, v.maxFrames(), w});
      for (int i = 0; i < v.depth(); i++) {
        String b = V + "blocks." + i + ".";
        out.put(b + "norm1.weight", new long[] {w});
        out.put(b + "norm1.bias", new long[] {w});
        out.put(b + "attn.qkv.weight", new long[] {3L * w, w});
        out.put(b + "attn.qkv.bias", new long[] {3L * w});
        out.put(b + "attn.proj.weight", new long[] {w, w});
        out.put(b + "attn.proj.bias", new long[] {w});
        out.put(b + "norm2.weight", new long[] {w});
        out.put(b + "norm2.bias", new long[] {w});
        out.put(b + "mlp.fc1.weight", new long[] {v.mlpDim(), w});
        out.put(b + "mlp.fc1.bias", new long[] {v.mlpDim()});
        out.put(b + "mlp.fc2.weight", new long[] {w, v.mlpDim()});
        out.put(b + "mlp.fc2.bias", new long[] {w});
      }
      out.put(V + "object_embedding.weight", new long[] {w, v.featureDim()});
      out.put(V + "object_embedding.bias", new long[] {w});
      out.put(V + "pos_embedding.weight", new long[] {w, VideoEncoderConfig.BOX_DIM});
      out.put(V + "pos_embedding.bias", new long[] {w});
      out.put(V + "proj.weight", new long[] {cfg.embedDim(), w});
      TextEncoderConfig t = cfg.text();
      int tw = t.width();
      out.put(T + "embeddings.word_embeddings.weight", new long[] {t.vocabSize(), tw});
      out.put(T + "embeddings.position_embeddings.weight", new long[] {t.maxPositions(), tw});
      out.put(T + "embeddings.LayerNorm.weight", new long[] {tw});
      out.put(T + "embeddings.LayerNorm.bias", new long[] {tw});
      for (int i = 0; i < t.depth(); i++) {
        String l = T + "transformer.layer." + i + ".";
        for (String lin : new String[] {"attention.q_lin", "attention.k_lin", "attention.v_lin",
            "attention.out_lin"}) {
          out.put(l + lin + ".weight", new long[] {tw, tw});
          out.put(l + lin + ".bias", new long[] {tw});
        }
        out.put(l + "sa_layer_norm.weight", new long[] {tw});
        out.put(l + "sa_layer_norm.bias", new long[] {tw});
        out.put(l + "ffn.lin1.weight", new long[] {t.ffnDim(), tw});
        out.put(l + "ffn.lin1.bias", new long[] {t.ffnDim()});
        out.put(l + "ffn.lin2.weight", new long[] {tw, t.ffnDim()});
        out.put(l + "ffn.lin2.bias", new long[] {tw});
        out.put(l + "output_layer_norm.weight", new long[] {tw});
        out.put(l + "output_layer_norm.bias", new long[] {tw});
      }
      out.put(TextEncoder.HEAD + "weight", new long[] {cfg.embedDim(), tw});
      out.put(TextEncoder.HEAD + "bias", new long[] {cfg.embedDim()});
    }
    return out;
  }

  private static String describe(ModelConfig c) {
    VideoEncoderConfig v = c.video();
    TextEncoderConfig t = c.text();
    return String.format(Locale.ROOT, "video %d blocks x %d wide, %d heads, %d-d features, %d regions, %d frames; "
        + "text %d layers x %d wide, %d heads, vocabulary %d; joint %d", v.depth(), v.width(), v.numHeads(),
        v.featureDim(), v.numRegions(), v.maxFrames(), t.depth(), t.width(), t.numHeads(), t.vocabSize(),
        c.embedDim());
  }

  private static long[] shape(StateDict sd, Map<String, String> used, String ours, int rank) {
    String theirs = used.get(ours);
    if (theirs == null) {
      throw new InvalidInputFileException(sd.file(), "no tensor '" + ours + "' (nor 'module." + ours + "'): not a "
          + "DemoVLP ObjectRelation checkpoint? It holds " + sd.names().size() + " tensors"
          + (sd.names().isEmpty() ? "" : ", e.g. '" + sd.names().iterator().next() + "'"));
    }
    long[] s = sd.shape(theirs);
    if (s.length != rank) {
      throw new InvalidInputFileException(sd.file(), "tensor '" + theirs + "': expected " + rank
          + " dimensions, found shape " + Arrays.toString(s));
    }
    return s;
  }

  private static int dim(long[] shape, int i) {
    return Math.toIntExact(shape[i]);
  }

  private static int count(Set<String> names, Pattern p, Path file, String what) {
    TreeSet<Integer> seen = new TreeSet<>();
    for (String n : names) {
      Matcher m = p.matcher(n);
      if (m.matches()) {
        seen.add(Integer.parseInt(m.group(1)));
      }
    }
    if (seen.isEmpty() || seen.first() != 0 || seen.last() != seen.size() - 1) {
      throw new InvalidInputFileException(file, "expected " + what + ".0 .. N-1 without gaps, found indices "
          + seen);
    }
    return seen.size();
  }

  private static int heads(int given, int width, Path file, String tower) {
    if (given > 0) {
      return given;
    }
    if (width % HEAD_DIM != 0) {
      throw new InvalidInputFileException(file, "the " + tower + " tower is " + width + " wide, which is not a "
          + "multiple of 64: give its number of attention heads (--" + tower + "-heads)");
    }
    return width / HEAD_DIM;
  }
}
