package regionvlp.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Resolves an {@link ExperimentConfig}: a complete preset (every key present, shipped as a resource) is
 * overlaid with the user's JSON file and then with {@code --set key=value} overrides. A key that the preset
 * does not have is an error naming the key and the keys that exist at that level, so a typo never goes
 * unnoticed.
 */
public final class ConfigLoader {
  /** Presets shipped with the code, under {@code regionvlp/presets/NAME.json}. */
  public static final List<String> PRESETS = List.of("quickstart", "demovlp-pretrain", "demovlp-finetune");

  private ConfigLoader() {}

  /**
   * @param configArg a preset name or a JSON file (which may name its base preset under {@code "preset"})
   * @param overrides {@code key.path=value} strings
   */
  public static ExperimentConfig load(String configArg, List<String> overrides) {
    ObjectNode tree;
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
    }
    for (String o : overrides) {
      applyOverride(tree, o);
    }
    return fromTree(tree, configArg);
  }

  /** Converts a complete tree to the record, turning validation failures into clear messages. */
  public static ExperimentConfig fromTree(JsonNode tree, String source) {
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
   * the code that wrote them for clean data.
   */
  static void upgrade(JsonNode tree) {
    if (tree instanceof ObjectNode root && root.get("data") instanceof ObjectNode data) {
      if (!data.has("maxBadFraction")) {
        data.put("maxBadFraction", 0.01);
      }
      if (!data.has("allCaptions")) {
        data.put("allCaptions", false);
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
      return Json.MAPPER.readTree(raw);
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
