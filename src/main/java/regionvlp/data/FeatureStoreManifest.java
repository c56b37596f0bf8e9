package regionvlp.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code manifest.json} of a {@link FeatureStore}: what the store holds and the size and CRC-32 of every file.
 * It is written last, so a folder with a manifest is a complete store (see docs/FEATURE-STORE.md).
 *
 * @param dtype storage type of the region rows
 * @param numRegions R, region rows per frame
 * @param featureDim D; a row has {@code D + 6} values
 * @param numClips C, clips in the store (lines of {@code clips.txt}, rows of {@code index.npy})
 * @param numFrames frame rows over all shards
 * @param keys {@code clips.txt}
 * @param index {@code index.npy}
 * @param shards in order; clips never straddle two shards
 * @param skipped clips of the source left out ({@code --skip-bad}), with the reason
 * @param source the feature tree converted (as given)
 * @param created ISO-8601 instant of completion
 */
public record FeatureStoreManifest(
    FeatureStore.DType dtype,
    int numRegions,
    int featureDim,
    int numClips,
    long numFrames,
    FileEntry keys,
    FileEntry index,
    List<Shard> shards,
    List<Skipped> skipped,
    String source,
    String created) {

  /** {@code format} value of every manifest. */
  public static final String FORMAT = "regionvlp-feature-store";

  /** The layout version this code reads and writes. */
  public static final int VERSION = 1;

  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public FeatureStoreManifest {
    Objects.requireNonNull(dtype, "dtype");
    shards = List.copyOf(shards);
    skipped = List.copyOf(skipped);
  }

  /** One file of the store, with the checksum of all its bytes (zlib's CRC-32, as Python's zlib.crc32). */
  public record FileEntry(String file, long bytes, long crc32) {
    public FileEntry {
      Objects.requireNonNull(file, "file");
      if (file.isEmpty() || file.contains("/") || file.contains("\\") || file.startsWith(".")) {
        throw new IllegalArgumentException("store file names are plain names in the store folder, found '" + file + "'");
      }
    }
  }

  /**
   * One shard: {@code regions} is {@code [frames, R, D+6]} in {@link #dtype()}, {@code valid} is int64
   * {@code [frames]}, the number of real (unpadded) regions of each frame row.
   *
   * @param firstClip index in {@code clips.txt} of the shard's first clip
   * @param numClips clips stored in the shard
   */
  public record Shard(int frames, int firstClip, int numClips, FileEntry regions, FileEntry valid) {}

  /** A source clip left out of the store. */
  public record Skipped(String key, String reason) {}

  /** {@code D + 6}. */
  public int regionDim() {
    return featureDim + 6;
  }

  /** Pretty-printed JSON. */
  public String toJson() {
    ObjectNode m = MAPPER.createObjectNode();
    m.put("format", FORMAT);
    m.put("version", VERSION);
    m.put("dtype", dtype.numpyName());
    m.put("numRegions", numRegions);
    m.put("featureDim", featureDim);
    m.put("regionDim", regionDim());
    m.put("numClips", numClips);
    m.put("numFrames", numFrames);
    m.put("checksum", "crc32");
    m.set("keys", entry(keys));
    m.set("index", entry(index));
    ArrayNode sh = m.putArray("shards");
    for (Shard s : shards) {
      ObjectNode o = sh.addObject();
      o.put("frames", s.frames());
      o.put("firstClip", s.firstClip());
      o.put("numClips", s.numClips());
      o.set("regions", entry(s.regions()));
      o.set("valid", entry(s.valid()));
    }
    ArrayNode sk = m.putArray("skipped");
    for (Skipped s : skipped) {
      sk.addObject().put("key", s.key()).put("reason", s.reason());
    }
    m.put("source", source);
    m.put("created", created);
    try {
      return MAPPER.writeValueAsString(m) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static ObjectNode entry(FileEntry e) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("file", e.file());
    o.put("bytes", e.bytes());
    o.put("crc32", e.crc32());
    return o;
  }

  /**
   * Parses and checks a manifest.
   *
   * @param file named in errors
   * @throws InvalidInputFileException for malformed JSON, another format or version, or a missing or
   *     mistyped field
   */
  public static FeatureStoreManifest parse(String text, Path file) {
    JsonNode m;
    try {
      m = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new InvalidInputFileException(file, "not valid JSON: " + e.getOriginalMessage()
          + "; a manifest is written last and atomically, so the store was edited by hand or damaged");
    }
    if (m == null || !m.isObject()) {
      throw new InvalidInputFileException(file, "expected a JSON object");
    }
    String format = text(m, "format", file);
    if (!format.equals(FORMAT)) {
      throw new InvalidInputFileException(file, "expected format '" + FORMAT + "', found '" + format + "'");
    }
    long version = integer(m, "version", file);
    if (version != VERSION) {
      throw new InvalidInputFileException(file, "unsupported store version " + version + "; this build reads version "
          + VERSION + "; re-run regionvlp features convert");
    }
    FeatureStore.DType dtype;
    try {
      dtype = FeatureStore.DType.parse(text(m, "dtype", file));
    } catch (IllegalArgumentException e) {
      throw new InvalidInputFileException(file, "field 'dtype': " + e.getMessage());
    }
    int numRegions = positiveInt(m, "numRegions", file);
    int featureDim = positiveInt(m, "featureDim", file);
    if (integer(m, "regionDim", file) != featureDim + 6L) {
      throw new InvalidInputFileException(file, "field 'regionDim': expected featureDim + 6 = " + (featureDim + 6)
          + ", found " + m.get("regionDim"));
    }
    String checksum = text(m, "checksum", file);
    if (!checksum.equals("crc32")) {
      throw new InvalidInputFileException(file, "field 'checksum': expected 'crc32', found '" + checksum + "'");
    }
    int numClips = Math.toIntExact(nonNegative(m, "numClips", file));
    long numFrames = nonNegative(m, "numFrames", file);
    FileEntry keys = fileEntry(m.get("keys"), "keys", file);
    FileEntry index = fileEntry(m.get("index"), "index", file);
    List<Shard> shards = new ArrayList<>();
    JsonNode sh = array(m, "shards", file);
    for (int i = 0; i < sh.size(); i++) {
      JsonNode s = sh.get(i);
      String where = "shards[" + i + "]";
      if (!s.isObject()) {
        throw new InvalidInputFileException(file, "field '" + where + "': expected an object");
      }
      shards.add(new Shard(positiveInt(s, "frames", file), Math.toIntExact(nonNegative(s, "firstClip", file)),
          positiveInt(s, "numClips", file), fileEntry(s.get("regions"), where + ".regions", file),
          fileEntry(s.get("valid"), where + ".valid", file)));
    }
    List<Skipped> skipped = new ArrayList<>();
    for (JsonNode s : array(m, "skipped", file)) {
      skipped.add(new Skipped(text(s, "key", file), text(s, "reason", file)));
    }
    return new FeatureStoreManifest(dtype, numRegions, featureDim, numClips, numFrames, keys, index, shards,
        skipped, m.path("source").asText(""), m.path("created").asText(""));
  }

  private static FileEntry fileEntry(JsonNode n, String where, Path file) {
    if (n == null || !n.isObject()) {
      throw new InvalidInputFileException(file, "field '" + where + "': expected {file, bytes, crc32}");
    }
    long crc = nonNegative(n, "crc32", file);
    if (crc > 0xffffffffL) {
      throw new InvalidInputFileException(file, "field '" + where + ".crc32': expected a 32-bit value, found " + crc);
    }
    try {
      return new FileEntry(text(n, "file", file), nonNegative(n, "bytes", file), crc);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputFileException(file, "field '" + where + "': " + e.getMessage());
    }
  }

  private static JsonNode array(JsonNode m, String field, Path file) {
    JsonNode n = m.get(field);
    if (n == null || !n.isArray()) {
      throw new InvalidInputFileException(file, "field '" + field + "': expected an array, found " + n);
    }
    return n;
  }

  private static String text(JsonNode m, String field, Path file) {
    JsonNode n = m.get(field);
    if (n == null || !n.isTextual()) {
      throw new InvalidInputFileException(file, "field '" + field + "': expected a string, found " + n);
    }
    return n.asText();
  }

  private static long integer(JsonNode m, String field, Path file) {
    JsonNode n = m.get(field);
    if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) {
      throw new InvalidInputFileException(file, "field '" + field + "': expected an integer, found " + n);
    }
    return n.asLong();
  }

  private static long nonNegative(JsonNode m, String field, Path file) {
    long v = integer(m, field, file);
    if (v < 0) {
      throw new InvalidInputFileException(file, "field '" + field + "': expected >= 0, found " + v);
    }
    return v;
  }

  private static int positiveInt(JsonNode m, String field, Path file) {
    long v = integer(m, field, file);
    if (v < 1 || v > Integer.MAX_VALUE) {
      throw new InvalidInputFileException(file, String.format(Locale.ROOT,
          "field '%s': expected an integer in [1, %d], found %d", field, Integer.MAX_VALUE, v));
    }
    return (int) v;
  }
}
