package regionvlp.model;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Safetensors;
import regionvlp.text.CaptionTokenizer;

/**
 * A Hugging Face checkpoint folder of a BERT or DistilBERT encoder: {@code config.json},
 * {@code model.safetensors} and {@code tokenizer.json}, as {@code save_pretrained} writes them. It
 * initialises our text transformer (not the {@code txt_proj} head, which DemoVLP adds).
 *
 * <p>Name mapping onto our DistilBERT layout ({@link TextEncoder}), for layer N:
 * <pre>
 * BERT                                      DistilBERT                          ours (under text_model.)
 * embeddings.word_embeddings                embeddings.word_embeddings          embeddings.word_embeddings
 * embeddings.position_embeddings (+ row 0   embeddings.position_embeddings      embeddings.position_embeddings
 *   of token_type_embeddings, folded in)
 * embeddings.LayerNorm                      embeddings.LayerNorm                embeddings.LayerNorm
 * encoder.layer.N.attention.self.query      transformer.layer.N.attention.q_lin transformer.layer.N.attention.q_lin
 *   .../self.key, .../self.value              .../k_lin, .../v_lin                .../k_lin, .../v_lin
 * encoder.layer.N.attention.output.dense    ...attention.out_lin                ...attention.out_lin
 * encoder.layer.N.attention.output.LayerNorm ...sa_layer_norm                   ...sa_layer_norm
 * encoder.layer.N.intermediate.dense        ...ffn.lin1                         ...ffn.lin1
 * encoder.layer.N.output.dense              ...ffn.lin2                         ...ffn.lin2
 * encoder.layer.N.output.LayerNorm          ...output_layer_norm                ...output_layer_norm
 * </pre>
 * Names may carry the task models' prefix ({@code bert.}, {@code distilbert.}); old TensorFlow-converted
 * LayerNorms named {@code gamma}/{@code beta} are accepted. Other tensors (pooler, MLM heads,
 * {@code position_ids}) are ignored. BERT's token-type table has no DistilBERT counterpart: every caption is
 * segment 0, so its row 0 is added to every position row, which gives identical hidden states. The same
 * mapping loads all-MiniLM-L6-v2 from its ONNX initializers ({@link PretrainedText}).
 */
public final class HfTextCheckpoint {
  /** The model config file. */
  public static final String CONFIG = "config.json";
  /** The weights file. */
  public static final String WEIGHTS = "model.safetensors";
  /** The tokenizer file. */
  public static final String TOKENIZER = "tokenizer.json";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The two parameter layouts. */
  public enum Layout {
    /** {@code BertModel}: {@code encoder.layer.N.attention.self.query}, ... */
    BERT,
    /** {@code DistilBertModel}: {@code transformer.layer.N.attention.q_lin}, ... */
    DISTILBERT
  }

  /** Our per-layer names and their BERT counterparts, in registration order. */
  private static final String[][] LAYER_NAMES = {
      {"attention.q_lin", "attention.self.query"},
      {"attention.k_lin", "attention.self.key"},
      {"attention.v_lin", "attention.self.value"},
      {"attention.out_lin", "attention.output.dense"},
      {"sa_layer_norm", "attention.output.LayerNorm"},
      {"ffn.lin1", "intermediate.dense"},
      {"ffn.lin2", "output.dense"},
      {"output_layer_norm", "output.LayerNorm"}};

  private final Path dir;
  private final Layout layout;
  private final String prefix;
  private final TextEncoderConfig config;

  private HfTextCheckpoint(Path dir, Layout layout, String prefix, TextEncoderConfig config) {
    this.dir = dir;
    this.layout = layout;
    this.prefix = prefix;
    this.config = config;
  }

  /**
   * Opens a folder and checks it completely before anything is loaded: {@code config.json} (model type,
   * sizes, activation), the safetensors header (see {@link Safetensors#open}), that every tensor the tower
   * needs is present with the shape the config implies, and that {@code tokenizer.json} exists.
   *
   * @param maxLength tokens per caption for the returned {@link #config()} (not stored in HF configs)
   * @throws InvalidInputFileException naming the file, tensor or key that is wrong
   */
  public static HfTextCheckpoint load(Path dir, int maxLength) {
    if (!Files.isDirectory(dir)) {
      throw new InvalidInputFileException(dir, "not a folder: expected a Hugging Face checkpoint folder with "
          + CONFIG + ", " + WEIGHTS + " and " + TOKENIZER);
    }
    Path abs = dir.toAbsolutePath().normalize();
    if (!Files.isRegularFile(abs.resolve(TOKENIZER))) {
      throw new InvalidInputFileException(abs.resolve(TOKENIZER), "no such file: a Hugging Face text "
          + "checkpoint folder needs " + TOKENIZER + " (save the tokenizer with save_pretrained too)");
    }
    Parsed parsed = parseConfig(abs.resolve(CONFIG), abs.toString(), maxLength);
    try (Safetensors.Reader r = Safetensors.open(abs.resolve(WEIGHTS))) {
      String prefix = detectPrefix(r, parsed.layout());
      HfTextCheckpoint ckpt = new HfTextCheckpoint(abs, parsed.layout(), prefix, parsed.config());
      // A dry run of the mapping over the header alone: every name and shape is checked, nothing is read.
      ckpt.map(new HeaderSource(r, prefix, false), parsed.config(), (name, t) -> { });
      return ckpt;
    }
  }

  /** The folder (absolute). */
  public Path dir() {
    return dir;
  }

  /** BERT or DistilBERT. */
  public Layout layout() {
    return layout;
  }

  /**
   * The tower this checkpoint describes, with {@code init = HF} and {@code hfPath} = this folder. Use it as
   * {@code model.text} (a shallower depth and a shorter position table are also accepted by {@link #loadInto}).
   */
  public TextEncoderConfig config() {
    return config;
  }

  /** The folder's {@code tokenizer.json}. */
  public Path tokenizerFile() {
    return dir.resolve(TOKENIZER);
  }

  /**
   * The folder's tokenizer, padding/truncating to {@code maxLength}.
   *
   * @throws InvalidInputFileException if it can produce ids beyond the embedding table of {@code config.json}
   */
  public CaptionTokenizer tokenizer(int maxLength) {
    CaptionTokenizer tok = CaptionTokenizer.fromFile(tokenizerFile(), maxLength);
    if (tok.vocabSize() > config.vocabSize()) {
      tok.close();
      throw new InvalidInputFileException(tokenizerFile(), String.format(Locale.ROOT,
          "produces ids up to %d, but %s has vocab_size %d: the tokenizer does not belong to these weights",
          tok.vocabSize() - 1, CONFIG, config.vocabSize()));
    }
    return tok;
  }

  /**
   * Overwrites the text transformer's parameters (not the {@code txt_proj} head) in {@code params} with this
   * checkpoint's, one tensor at a time.
   *
   * @param target the tower the parameters were registered for; it may be shallower (the first layers are
   *     loaded) and have a shorter position table, everything else must match
   * @throws IllegalArgumentException if {@code target} does not fit this checkpoint, naming the keys to set
   */
  public void loadInto(Params params, TextEncoderConfig target) {
    requireCompatible(config, target, dir.toString());
    try (Safetensors.Reader r = Safetensors.open(dir.resolve(WEIGHTS))) {
      map(new HeaderSource(r, prefix, true), target,
          (name, t) -> params.assign(name, t.values(), new Shape(t.shape())));
    }
  }

  /**
   * The transformer's weights under our names ({@code text_model.*}), for {@code target} (see
   * {@link #loadInto}); for converting the folder into our checkpoint format.
   */
  public Map<String, Safetensors.Tensor> tensors(TextEncoderConfig target) {
    requireCompatible(config, target, dir.toString());
    Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
    try (Safetensors.Reader r = Safetensors.open(dir.resolve(WEIGHTS))) {
      map(new HeaderSource(r, prefix, true), target, out::put);
    }
    return out;
  }

  private void map(Source src, TextEncoderConfig target, BiConsumer<String, Safetensors.Tensor> sink) {
    mapToOurs(layout, src, target, sink);
  }

  // ---- the mapping, shared with PretrainedText -------------------------------------------------------

  /**
   * Where foreign weights come from. {@code get} returns the tensor (or, when only shapes are being checked,
   * a tensor of that shape whose values must not be used) and fails with the file and the name when absent.
   */
  interface Source {
    /** The file named in errors. */
    Path file();

    /** The tensor's shape; fails if absent. */
    long[] shape(String name);

    /** The tensor; fails if absent. */
    Safetensors.Tensor get(String name);

    /** Whether {@link #get} reads values (false for a header-only check). */
    boolean readsValues();
  }

  /**
   * Maps a BERT- or DistilBERT-layout source onto our names for {@code target}, checking every shape first,
   * and hands each tensor to {@code sink} (position table sliced to {@code target.maxPositions()}, BERT's
   * token-type row 0 folded into it).
   */
  static void mapToOurs(Layout layout, Source src, TextEncoderConfig target,
      BiConsumer<String, Safetensors.Tensor> sink) {
    String t = TextEncoder.PREFIX;
    long w = target.width();
    long f = target.ffnDim();
    checkShape(src, "embeddings.word_embeddings.weight", new long[] {target.vocabSize(), w}, false,
        "vocab_size x hidden size");
    checkShape(src, "embeddings.position_embeddings.weight", new long[] {target.maxPositions(), w}, true,
        "max_position_embeddings x hidden size");
    checkShape(src, "embeddings.LayerNorm.weight", new long[] {w}, false, "hidden size");
    checkShape(src, "embeddings.LayerNorm.bias", new long[] {w}, false, "hidden size");
    if (layout == Layout.BERT) {
      checkShape(src, "embeddings.token_type_embeddings.weight", new long[] {1, w}, true,
          "type_vocab_size x hidden size");
    }
    String layerPrefix = layout == Layout.BERT ? "encoder.layer." : "transformer.layer.";
    for (int i = 0; i < target.depth(); i++) {
      for (String[] m : LAYER_NAMES) {
        String theirs = layerPrefix + i + "." + (layout == Layout.BERT ? m[1] : m[0]);
        long[][] shapes = layerShapes(m[0], w, f);
        checkShape(src, theirs + ".weight", shapes[0], false, "from config.json sizes");
        checkShape(src, theirs + ".bias", shapes[1], false, "from config.json sizes");
      }
    }
    if (!src.readsValues()) {
      return;
    }
    sink.accept(t + "embeddings.word_embeddings.weight", src.get("embeddings.word_embeddings.weight"));
    float[] pos = src.get("embeddings.position_embeddings.weight").values();
    int width = (int) w;
    float[] table = new float[target.maxPositions() * width];
    System.arraycopy(pos, 0, table, 0, table.length);
    if (layout == Layout.BERT) {
      float[] type = src.get("embeddings.token_type_embeddings.weight").values();
      for (int p = 0; p < target.maxPositions(); p++) {
        for (int d = 0; d < width; d++) {
          table[p * width + d] += type[d];
        }
      }
    }
    sink.accept(t + "embeddings.position_embeddings.weight",
        new Safetensors.Tensor(new long[] {target.maxPositions(), w}, table));
    sink.accept(t + "embeddings.LayerNorm.weight", src.get("embeddings.LayerNorm.weight"));
    sink.accept(t + "embeddings.LayerNorm.bias", src.get("embeddings.LayerNorm.bias"));
    for (int i = 0; i < target.depth(); i++) {
      String ours = t + "transformer.layer." + i + ".";
      for (String[] m : LAYER_NAMES) {
        String theirs = layerPrefix + i + "." + (layout == Layout.BERT ? m[1] : m[0]);
        sink.accept(ours + m[0] + ".weight", src.get(theirs + ".weight"));
        sink.accept(ours + m[0] + ".bias", src.get(theirs + ".bias"));
      }
    }
  }

  /** [weight shape, bias shape] of one of our per-layer modules, torch layout [out, in]. */
  private static long[][] layerShapes(String ours, long w, long f) {
    return switch (ours) {
      case "ffn.lin1" -> new long[][] {{f, w}, {f}};
      case "ffn.lin2" -> new long[][] {{w, f}, {w}};
      case "sa_layer_norm", "output_layer_norm" -> new long[][] {{w}, {w}};
      default -> new long[][] {{w, w}, {w}};
    };
  }

  /**
   * @param atLeastRows the first dimension may be larger than expected (tables we slice)
   */
  private static void checkShape(Source src, String name, long[] expected, boolean atLeastRows, String meaning) {
    long[] found = src.shape(name);
    boolean ok = found.length == expected.length;
    for (int i = 0; ok && i < found.length; i++) {
      ok = atLeastRows && i == 0 ? found[i] >= expected[i] : found[i] == expected[i];
    }
    if (!ok) {
      throw new InvalidInputFileException(src.file(), String.format(Locale.ROOT,
          "tensor '%s': expected shape %s%s (%s), found %s", name, atLeastRows ? "at least " : "",
          Safetensors.Entry.shapeString(expected), meaning, Safetensors.Entry.shapeString(found)));
    }
  }

  /**
   * Checks that a tower registered as {@code target} can take weights made for {@code source}: equal sizes,
   * LayerNorm epsilon and activation; a depth and position table no larger than the source's.
   *
   * @throws IllegalArgumentException naming each mismatching key and the value it must have
   */
  static void requireCompatible(TextEncoderConfig source, TextEncoderConfig target, String what) {
    List<String> wrong = new ArrayList<>();
    if (target.vocabSize() != source.vocabSize()) {
      wrong.add("model.text.vocabSize=" + source.vocabSize());
    }
    if (target.width() != source.width()) {
      wrong.add("model.text.width=" + source.width());
    }
    if (target.numHeads() != source.numHeads()) {
      wrong.add("model.text.numHeads=" + source.numHeads());
    }
    if (target.ffnDim() != source.ffnDim()) {
      wrong.add("model.text.ffnDim=" + source.ffnDim());
    }
    if (target.depth() > source.depth()) {
      wrong.add("model.text.depth<=" + source.depth());
    }
    if (target.maxPositions() > source.maxPositions()) {
      wrong.add("model.text.maxPositions<=" + source.maxPositions());
    }
    if (target.layerNormEps() != source.layerNormEps()) {
      wrong.add("model.text.layerNormEps=" + source.layerNormEps());
    }
    if (target.activation() != source.activation()) {
      wrong.add("model.text.activation=" + source.activation());
    }
    if (!wrong.isEmpty()) {
      throw new IllegalArgumentException("the text tower does not fit the weights of " + what + ": set "
          + String.join(", ", wrong));
    }
  }

  // ---- config.json ---------------------------------------------------------------------------------------

  private record Parsed(Layout layout, TextEncoderConfig config) {}

  private static Parsed parseConfig(Path file, String hfPath, int maxLength) {
    JsonNode c;
    try {
      c = MAPPER.readTree(file.toFile());
    } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
      throw new InvalidInputFileException(file, "no such file: a Hugging Face text checkpoint folder needs "
          + CONFIG);
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "not valid JSON: " + e.getMessage());
    }
    if (c == null || !c.isObject()) {
      throw new InvalidInputFileException(file, "expected a JSON object");
    }
    String type = c.path("model_type").asText("");
    Layout layout = switch (type) {
      case "bert" -> Layout.BERT;
      case "distilbert" -> Layout.DISTILBERT;
      default -> throw new InvalidInputFileException(file, "model_type: expected \"bert\" or \"distilbert\", "
          + "found " + (c.has("model_type") ? c.get("model_type").toString() : "none"));
    };
    int vocab = intKey(c, file, "vocab_size");
    int positions = intKey(c, file, "max_position_embeddings");
    double initStd = c.path("initializer_range").asDouble(0.02);
    TextEncoderConfig cfg;
    try {
      if (layout == Layout.BERT) {
        String posType = c.path("position_embedding_type").asText("absolute");
        if (!posType.equals("absolute")) {
          throw new InvalidInputFileException(file, "position_embedding_type: expected \"absolute\" (learned "
              + "positions), found \"" + posType + "\"");
        }
        if (c.path("type_vocab_size").asInt(2) < 1) {
          throw new InvalidInputFileException(file, "type_vocab_size: expected >= 1, found "
              + c.get("type_vocab_size"));
        }
        cfg = new TextEncoderConfig(vocab, intKey(c, file, "hidden_size"), intKey(c, file, "num_hidden_layers"),
            intKey(c, file, "num_attention_heads"), intKey(c, file, "intermediate_size"), positions, maxLength,
            initStd, TextEncoderConfig.Init.HF, hfPath, c.path("layer_norm_eps").asDouble(TextEncoderConfig.LN_EPS),
            activation(c, file, "hidden_act"));
      } else {
        // DistilBERT hard-codes eps 1e-12 in every LayerNorm; its config has no key for it.
        cfg = new TextEncoderConfig(vocab, intKey(c, file, "dim"), intKey(c, file, "n_layers"),
            intKey(c, file, "n_heads"), intKey(c, file, "hidden_dim"), positions, maxLength, initStd,
            TextEncoderConfig.Init.HF, hfPath, TextEncoderConfig.LN_EPS, activation(c, file, "activation"));
      }
    } catch (IllegalArgumentException e) {
      throw new InvalidInputFileException(file, "describes a tower we cannot build: " + e.getMessage());
    }
    return new Parsed(layout, cfg);
  }

  private static int intKey(JsonNode c, Path file, String key) {
    JsonNode v = c.get(key);
    if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0) {
      throw new InvalidInputFileException(file, key + ": expected a positive integer, found "
          + (v == null ? "no such key" : v.toString()));
    }
    return v.asInt();
  }

  private static TextEncoderConfig.Activation activation(JsonNode c, Path file, String key) {
    String name = c.path(key).asText("gelu");
    return switch (name) {
      case "gelu", "gelu_python" -> TextEncoderConfig.Activation.GELU;
      case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> TextEncoderConfig.Activation.GELU_TANH;
      case "relu" -> TextEncoderConfig.Activation.RELU;
      default -> throw new InvalidInputFileException(file, key + ": expected one of gelu, gelu_python, "
          + "gelu_new, gelu_pytorch_tanh, gelu_fast, relu; found \"" + name + "\"");
    };
  }

  private static String detectPrefix(Safetensors.Reader r, Layout layout) {
    String task = layout == Layout.BERT ? "bert." : "distilbert.";
    for (String p : new String[] {"", task}) {
      if (r.entries().containsKey(p + "embeddings.word_embeddings.weight")) {
        return p;
      }
    }
    throw new InvalidInputFileException(r.file(), "no tensor 'embeddings.word_embeddings.weight' (nor '" + task
        + "embeddings.word_embeddings.weight'): not a " + layout + " checkpoint (" + r.entries().size()
        + " tensors, e.g. " + r.entries().keySet().stream().limit(3).toList() + ")");
  }

  /** A safetensors file seen through an optional task prefix, with the gamma/beta fallback. */
  private record HeaderSource(Safetensors.Reader reader, String prefix, boolean readsValues) implements Source {
    @Override
    public Path file() {
      return reader.file();
    }

    @Override
    public long[] shape(String name) {
      return reader.entries().get(resolve(name)).shape();
    }

    @Override
    public Safetensors.Tensor get(String name) {
      return reader.tensor(resolve(name));
    }

    private String resolve(String name) {
      String full = prefix + name;
      if (reader.entries().containsKey(full)) {
        return full;
      }
      String old = full.endsWith("LayerNorm.weight") ? full.replaceAll("weight$", "gamma")
          : full.endsWith("LayerNorm.bias") ? full.replaceAll("bias$", "beta") : null;
      if (old != null && reader.entries().containsKey(old)) {
        return old;
      }
      throw new InvalidInputFileException(reader.file(), "missing tensor '" + full + "' (expected by the "
          + "checkpoint's config.json)");
    }
  }
}
