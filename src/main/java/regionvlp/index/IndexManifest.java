package regionvlp.index;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import regionvlp.data.AtomicFiles;
import regionvlp.data.InvalidInputFileException;

/**
 * {@code index.json}: what an index holds and what it was built with. The checkpoint's weights hash and
 * config are recorded so that a query encoded by a different model is refused instead of silently
 * ranking garbage.
 *
 * @param format {@link #FORMAT}
 * @param createdAt ISO-8601 instant of the build
 * @param count N, number of videos
 * @param embedDim E, width of the joint space
 * @param checkpoint the checkpoint the video embeddings came from (null for a synthetic index)
 * @param config the checkpoint's resolved experiment config (its config.json), or null
 * @param source where the clips came from (features folder, caption table, frames, sampling), free-form
 * @param regions region embeddings stored for re-ranking, or null
 * @param hnsw the Lucene HNSW graph's parameters, or null when only exact search is available
 */
public record IndexManifest(String format, String createdAt, int count, int embedDim, CheckpointRef checkpoint,
    JsonNode config, Map<String, Object> source, RegionInfo regions, HnswInfo hnsw) {
  /** Format tag written into every manifest. */
  public static final String FORMAT = "regionvlp-index-1";
  /** File name inside the index folder. */
  public static final String FILE = "index.json";

  public IndexManifest {
    if (count < 0 || embedDim <= 0) {
      throw new IllegalArgumentException("count must be >= 0 and embedDim > 0, found " + count + ", " + embedDim);
    }
    source = source == null ? Map.of() : Map.copyOf(source);
  }

  /**
   * The checkpoint an index was built with.
   *
   * @param path the checkpoint folder, as resolved at build time (absolute)
   * @param sha256 hex SHA-256 of its {@code model.safetensors}
   */
  public record CheckpointRef(String path, String sha256) {}

  /**
   * Stored region embeddings.
   *
   * @param frames F, sampled frames per video
   * @param perFrame R, region slots per frame
   * @param dtype storage type of the embeddings ({@code float16})
   */
  public record RegionInfo(int frames, int perFrame, String dtype) {
    /** T = F * R slots per video. */
    public int slots() {
      return frames * perFrame;
    }
  }

  /**
   * The HNSW graph (Lucene {@code KnnFloatVectorField} with {@code DOT_PRODUCT} on unit vectors).
   *
   * @param maxConn M, neighbours per node
   * @param beamWidth candidates kept while building
   */
  public record HnswInfo(int maxConn, int beamWidth) {}

  static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
      .enable(SerializationFeature.INDENT_OUTPUT);

  /** Reads {@code dir/index.json}. */
  public static IndexManifest read(Path dir) {
    Path file = dir.resolve(FILE);
    if (!file.toFile().isFile()) {
      throw new InvalidInputFileException(dir, "not an index: expected " + FILE + " in it (regionvlp index build "
          + "writes one)");
    }
    IndexManifest m;
    try {
      m = MAPPER.readValue(file.toFile(), IndexManifest.class);
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "not a valid index manifest: " + e.getMessage(), e);
    }
    if (!FORMAT.equals(m.format())) {
      throw new InvalidInputFileException(file, "expected format " + FORMAT + ", found " + m.format());
    }
    return m;
  }

  /** Writes {@code dir/index.json} atomically. */
  void write(Path dir) {
    try {
      AtomicFiles.writeString(dir.resolve(FILE), MAPPER.writeValueAsString(this));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise the index manifest", e);
    }
  }
}
