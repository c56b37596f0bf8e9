package regionvlp.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import regionvlp.model.HfTextCheckpoint;
import regionvlp.model.TextEncoderConfig;

/**
 * Resolves an {@link ExperimentConfig}: a complete preset (every key present, shipped as a resource) is
 * overlaid with the user's JSON file and then with {@code --set key=value} overrides. A key that the preset
 * does not have is an error naming the key and the keys that exist at that level, so a typo never goes
 * unnoticed.
 */
public final class ConfigLoader {
  /** Presets shipped with the code, under {@code regionvlp/presets/NAME.json}. */
  public static final List<String> PRESETS = List.of("quickstart", "demovlp-pretrain", "demovlp-finetune",
      "pretrain-webvid-cc3m", "finetune-msrvtt", "finetune-didemo", "finetune-msvd", "finetune-lsmdc",
      "synthvid-pretrain", "synthvid-finetune-msrvtt");

  private ConfigLoader() {}

  /**
   * @param configArg a preset name or a JSON file (which may name its base preset under {@code "preset"})
   * @param overrides {@code key.path=value} strings
   */
  public static ExperimentConfig load(String configArg, List<String> overrides) {
    ObjectNode tree;
    Set<String> explicit = new HashSet<>(); // keys the user set, as opposed to preset values
    if (PRESETS.contains(configArg)) {
      tree = preset(configArg);
    } else {
      Path file = Path.of(configArg);
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(
            "--config " + configArg + ": no such file and not a preset (presets: " + PRESETS + ")");
      }
      JsonNode user;
      try {
        user = Json.MAPPER.readTree(file.toFile());
      } catch (IOException e) {
        throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
      }
      if (!(user instanceof ObjectNode userObj)) {
        throw new IllegalArgumentException(file + ": expected a JSON object at the top level");
      }
      JsonNode base = userObj.remove("preset");
      String baseName = base == null ? "quickstart" : base.asText();
      if (!PRESETS.contains(baseName)) {
        throw new IllegalArgumentException(file + ": unknown preset '" + baseName + "' (presets: " + PRESETS + ")");
      }
      tree = preset(baseName);
      merge(tree, userObj, "", file.toString());
      collectKeys(userObj, "", explicit);
    }
    for (String o : overrides) {
      applyOverride(tree, o);
      explicit.add(o.substring(0, o.indexOf('=')).trim());
    }
    resolveHfText(tree, explicit);
    return fromTree(tree, configArg);
  }

  /** The text-tower keys whose values a Hugging Face folder's {@code config.json} determines. */
  private static final List<String> HF_KEYS =
      List.of("vocabSize", "width", "numHeads", "ffnDim", "maxPositions", "layerNormEps", "activation");

  /**
   * With {@code model.text.init = HF}, takes the tower's sizes from the folder's {@code config.json}, so a
   * user names the folder and nothing else. A size the user set explicitly must agree with the folder, except
   * {@code depth}, which may be smaller (the first layers are loaded). {@code hfPath} becomes absolute, so
   * that the saved config still finds the folder (and its tokenizer) from another working directory.
   */
  private static void resolveHfText(ObjectNode tree, Set<String> explicit) {
    if (!(tree.path("model").path("text") instanceof ObjectNode text)
        || !"HF".equals(text.path("init").asText()) || text.path("hfPath").asText("").isEmpty()) {
      return; // nothing to resolve; the record's own checks report a missing hfPath
    }
    // The caption length plays no part in the sizes; 3 (the minimum) keeps the folder's own checks from
    // tripping over a length that the record check below reports better.
    HfTextCheckpoint hf = HfTextCheckpoint.load(Path.of(text.path("hfPath").asText()), 3);
    ObjectNode fromHf = Json.MAPPER.valueToTree(hf.config());
    String source = hf.dir().resolve(HfTextCheckpoint.CONFIG).toString();
    for (String key : HF_KEYS) {
      JsonNode want = fromHf.get(key);
      if (explicit.contains("model.text." + key) && !sameValue(text.get(key), want)) {
        throw new IllegalArgumentException("model.text." + key + "=" + text.get(key) + " conflicts with " + source
            + " (" + want + "); with model.text.init=HF the sizes come from the folder, so drop the key");
      }
      text.set(key, want);
    }
    int hfDepth = hf.config().depth();
    if (!explicit.contains("model.text.depth")) {
      text.put("depth", hfDepth);
    } else if (text.path("depth").asInt() > hfDepth) {
      throw new IllegalArgumentException("model.text.depth=" + text.get("depth") + " exceeds the " + hfDepth
          + " layers of " + source);
    }
    text.put("hfPath", hf.dir().toString());
  }

  private static boolean sameValue(JsonNode a, JsonNode b) {
    return a.isNumber() && b.isNumber() ? a.doubleValue() == b.doubleValue() : a.asText().equals(b.asText());
  }

  private static void collectKeys(ObjectNode node, String prefix, Set<String> out) {
    node.fields().forEachRemaining(e -> {
      if (e.getValue() instanceof ObjectNode child) {
        collectKeys(child, prefix + e.getKey() + ".", out);
      } else {
        out.add(prefix + e.getKey());
      }
    });
  }

  /**
   * Keys added to {@code model.text} after configs were first saved, with the value every older config
   * meant; filled in when absent so that checkpoints written before them still load.
   */
  private static final Map<String, JsonNode> TEXT_KEYS_ADDED = Map.of(
      "hfPath", TextNode.valueOf(""),
      "layerNormEps", DoubleNode.valueOf(TextEncoderConfig.LN_EPS),
      "activation", TextNode.valueOf(TextEncoderConfig.Activation.GELU.name()));

  /** Converts a complete tree to the record, turning validation failures into clear messages. */
  public static ExperimentConfig fromTree(JsonNode tree, String source) {
    // Keys added after configs were first saved get the value older configs meant (on a copy: the caller's
    // tree is left as it is).
    tree = tree.deepCopy();
    if (tree.path("model").path("text") instanceof ObjectNode text) {
      TEXT_KEYS_ADDED.forEach((k, v) -> {
        if (!text.has(k)) {
          text.set(k, v);
        }
      });
    }
    upgrade(tree);
    try {
      return Json.MAPPER.treeToValue(tree, ExperimentConfig.class);
    } catch (JsonProcessingException e) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      String msg = root instanceof IllegalArgumentException ? root.getMessage() : e.getOriginalMessage();
      throw new IllegalArgumentException(source + ": invalid config: " + msg, e);
    }
  }

  /**
   * Fills keys added after a config was written (run directories and checkpoints keep their resolved
   * config): {@code data.maxBadFraction} (0.01) and {@code data.allCaptions} (false), both the behaviour of
   * the code that wrote them for clean data, {@code data.store} (empty: clips from the npz tree),
   * {@code data.secondary} (no second source) and {@code train.maxSamplesPerEpoch} (0: no cap), both of
   * which the code before them had no notion of.
   */
  static void upgrade(JsonNode tree) {
    if (tree instanceof ObjectNode root && root.get("train") instanceof ObjectNode train
        && !train.has("maxSamplesPerEpoch")) {
      train.put("maxSamplesPerEpoch", 0);
    }
    if (tree instanceof ObjectNode root && root.get("data") instanceof ObjectNode data) {
      if (!data.has("secondary")) {
        ObjectNode none = data.putObject("secondary");
        none.put("dataset", "");
        none.put("features", "");
        none.put("trainMeta", "");
        none.put("store", "");
      }
      if (!data.has("maxBadFraction")) {
        data.put("maxBadFraction", 0.01);
      }
      if (!data.has("allCaptions")) {
        data.put("allCaptions", false);
      }
      if (!data.has("store")) {
        data.put("store", "");
      }
    }
  }

  /** The preset's complete tree. */
  public static ObjectNode preset(String name) {
    String res = "regionvlp/presets/" + name + ".json";
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(res)) {
      if (in == null) {
        throw new IllegalStateException("preset resource " + res + " missing from the build");
      }
      return (ObjectNode) Json.MAPPER.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Applies one {@code a.b.c=value} override; the value is JSON if it parses as JSON, else a string. */
  public static void applyOverride(ObjectNode tree, String override) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("--set " + override + ": expected key=value, e.g. train.lr=1e-4");
    }
    String key = override.substring(0, eq).trim();
    String raw = override.substring(eq + 1).trim();
    String[] parts = key.split("\\.");
    ObjectNode node = tree;
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (!node.has(p)) {
        throw new IllegalArgumentException("--set " + key + ": unknown config key '" + path + p
            + "'; known keys" + (path.length() == 0 ? "" : " under " + path) + ": " + keys(node));
      }
      path.append(p).append('.');
      if (i < parts.length - 1) {
        if (!(node.get(p) instanceof ObjectNode child)) {
          throw new IllegalArgumentException("--set " + key + ": '" + path.substring(0, path.length() - 1)
              + "' is a value, not a section");
        }
        node = child;
      } else {
        if (node.get(p) instanceof ObjectNode) {
          throw new IllegalArgumentException("--set " + key + ": '" + key + "' is a section; set one of "
              + keys((ObjectNode) node.get(p)));
        }
        node.set(p, parseValue(raw));
      }
    }
  }

  private static JsonNode parseValue(String raw) {
    try {
      JsonNode parsed = Json.MAPPER.readTree(raw);
      // An empty value (--set data.valMeta=) parses to no JSON at all: it means the empty string.
      return parsed == null || parsed.isMissingNode() ? TextNode.valueOf(raw) : parsed;
    } catch (JsonProcessingException e) {
      return TextNode.valueOf(raw);
    }
  }

  private static void merge(ObjectNode base, ObjectNode user, String prefix, String source) {
    Iterator<Map.Entry<String, JsonNode>> it = user.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix + e.getKey();
      if (!base.has(e.getKey())) {
        throw new IllegalArgumentException(source + ": unknown config key '" + key + "'; known keys"
            + (prefix.isEmpty() ? "" : " under " + prefix.substring(0, prefix.length() - 1)) + ": "
            + keys(base));
      }
      JsonNode b = base.get(e.getKey());
      if (b instanceof ObjectNode bo && e.getValue() instanceof ObjectNode uo) {
        merge(bo, uo, key + ".", source);
      } else {
        base.set(e.getKey(), e.getValue());
      }
    }
  }

  private static String keys(ObjectNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return new TreeSet<>(names).toString();
  }
}
