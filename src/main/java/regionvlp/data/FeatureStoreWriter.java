package regionvlp.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * Writes a {@link FeatureStore} from clips whose region rows are already selected (the caller does the
 * top-R selection; this class only lays rows out, checksums and commits them).
 *
 * <p><b>Plan.</b> The clip list and frame counts are known before anything is written, so clips are packed
 * into shards greedily in the given order, a clip never straddling two shards and no shard reaching {@code
 * maxShardBytes} (below 2 GiB, the limit of one memory mapping).
 *
 * <p><b>Crash safety and resuming.</b> Each shard is written through {@link AtomicFiles} (temporary file,
 * fsync, rename), then its valid counts, then {@code convert-progress.json} records it with its checksums.
 * {@code manifest.json} is written last, so a folder without one never passes for a store. A new writer on a
 * folder holding a progress file for the same plan (same source, keys, frame counts and options) skips the
 * shards already recorded; any other non-empty folder is refused.
 */
public final class FeatureStoreWriter {
  /** Size reserved for each shard's .npy header, so it can be rewritten in place. */
  static final int HEADER_BYTES = 128;

  private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One clip to store: its key and K, the frames it has. */
  public record Clip(String key, int numFrames) {
    public Clip {
      Objects.requireNonNull(key, "key");
      if (key.isEmpty() || key.indexOf('\n') >= 0 || key.indexOf('\r') >= 0) {
        throw new IllegalArgumentException("a clip key must be non-empty and hold no line break, found '" + key + "'");
      }
      if (numFrames < 1) {
        throw new IllegalArgumentException(key + ": expected at least 1 frame, found " + numFrames);
      }
    }
  }

  /**
   * A clip's selected rows.
   *
   * @param regions float32 {@code [K, R, D+6]}, edge-padded
   * @param valid {@code [K]}, real regions per frame (1..R)
   */
  public record Rows(float[] regions, int[] valid) {}

  /** Supplies clip {@code i} of the plan; called in increasing order. */
  @FunctionalInterface
  public interface ClipReader {
    Rows read(int clip);
  }

  /** Told after each clip that is written or skipped. */
  @FunctionalInterface
  public interface Progress {
    void clipDone(int clip);
  }

  /**
   * @param dtype storage type of the rows
   * @param numRegions R
   * @param featureDim D
   * @param maxShardBytes upper bound of a shard file, header included (at most {@code Integer.MAX_VALUE})
   * @param skipBad leave out a clip whose reading throws {@link InvalidInputFileException} or {@link
   *     IllegalArgumentException} (recorded in the manifest) instead of failing
   * @param source the converted tree, recorded in the manifest and part of the plan
   */
  public record Options(FeatureStore.DType dtype, int numRegions, int featureDim, long maxShardBytes,
      boolean skipBad, String source) {
    public Options {
      Objects.requireNonNull(dtype, "dtype");
      if (numRegions < 1 || featureDim < 1) {
        throw new IllegalArgumentException("numRegions and featureDim must be >= 1, found " + numRegions + ", "
            + featureDim);
      }
      if (maxShardBytes <= HEADER_BYTES || maxShardBytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("maxShardBytes must be in (" + HEADER_BYTES + ", " + Integer.MAX_VALUE
            + "] (one memory mapping), found " + maxShardBytes);
      }
    }

    long frameBytes() {
      return (long) numRegions * (featureDim + 6) * dtype.bytes();
    }
  }

  private final Path dir;
  private final List<Clip> clips;
  private final Options options;
  private final int[] shardFirst; // [S + 1], clip boundaries
  private final int[] shardFrames; // [S], planned frames
  private final String plan;
  private final Map<Integer, DoneShard> done = new TreeMap<>();
  private final int resumed;
  private final List<FeatureStoreManifest.Skipped> skippedBefore = new ArrayList<>();

  /** A shard already on disk. */
  private record DoneShard(int frames, FeatureStoreManifest.FileEntry regions, FeatureStoreManifest.FileEntry valid,
      List<Integer> skipped, List<String> reasons) {}

  private FeatureStoreWriter(Path dir, List<Clip> clips, Options options) {
    this.dir = dir;
    this.clips = List.copyOf(clips);
    this.options = options;
    long capacity = (options.maxShardBytes() - HEADER_BYTES) / options.frameBytes();
    if (capacity < 1) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "one frame takes %d bytes, more than a shard of %d bytes can hold; raise the shard size",
          options.frameBytes(), options.maxShardBytes()));
    }
    List<Integer> first = new ArrayList<>();
    List<Integer> frames = new ArrayList<>();
    long inShard = 0;
    for (int c = 0; c < clips.size(); c++) {
      int k = clips.get(c).numFrames();
      if (k > capacity) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "clip '%s' has %d frames, more than the %d that fit in a shard of %d bytes; raise the shard size",
            clips.get(c).key(), k, capacity, options.maxShardBytes()));
      }
      if (first.isEmpty() || inShard + k > capacity) {
        if (!first.isEmpty()) {
          frames.add((int) inShard);
        }
        first.add(c);
        inShard = 0;
      }
      inShard += k;
    }
    if (!first.isEmpty()) {
      frames.add((int) inShard);
    }
    first.add(clips.size());
    this.shardFirst = first.stream().mapToInt(Integer::intValue).toArray();
    this.shardFrames = frames.stream().mapToInt(Integer::intValue).toArray();
    this.plan = fingerprint();
    this.resumed = prepareFolder();
  }

  /**
   * Plans a store in {@code dir} and prepares the folder: creates it, or resumes the unfinished conversion
   * of the same plan that it holds.
   *
   * @throws IllegalArgumentException when {@code dir} already holds a store, another conversion, or other
   *     files
   */
  public static FeatureStoreWriter open(Path dir, List<Clip> clips, Options options) {
    if (clips.isEmpty()) {
      throw new IllegalArgumentException("no clips to store");
    }
    return new FeatureStoreWriter(dir, clips, options);
  }

  /** Number of shards in the plan. */
  public int numShards() {
    return shardFrames.length;
  }

  /** Shards found complete from an earlier, interrupted run. */
  public int resumedShards() {
    return resumed;
  }

  /** Clip indices still to be read, in the order {@link #write} asks for them. */
  public int[] pendingClips() {
    List<Integer> out = new ArrayList<>();
    for (int s = 0; s < numShards(); s++) {
      if (!done.containsKey(s)) {
        for (int c = shardFirst[s]; c < shardFirst[s + 1]; c++) {
          out.add(c);
        }
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Records clips the caller left out before planning (listed in the manifest's {@code skipped}). */
  public void addSkipped(List<FeatureStoreManifest.Skipped> skipped) {
    skippedBefore.addAll(skipped);
  }

  /**
   * Writes every pending shard, then the keys, index and (last) the manifest.
   *
   * @return the manifest written
   */
  public FeatureStoreManifest write(ClipReader reader, Progress progress) {
    for (int s = 0; s < numShards(); s++) {
      if (!done.containsKey(s)) {
        done.put(s, writeShard(s, reader, progress));
        saveProgress();
      }
    }
    return finish();
  }

  private DoneShard writeShard(int s, ClipReader reader, Progress progress) {
    int rowLen = options.numRegions() * (options.featureDim() + 6);
    String descr = options.dtype().descr();
    long frameBytes = options.frameBytes();
    List<Integer> skipped = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    List<Integer> validCounts = new ArrayList<>();
    long[] crc = new long[1];
    Path target = dir.resolve(regionsName(s));
    AtomicFiles.write(target, ch -> {
      CRC32 sum = new CRC32();
      ByteBuffer header = ByteBuffer.wrap(Npy.fixedHeader(descr,
          new long[] {shardFrames[s], options.numRegions(), options.featureDim() + 6}, HEADER_BYTES));
      sum.update(header.duplicate());
      writeFully(ch, header);
      ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.max(frameBytes, 1 << 20)).order(ByteOrder.LITTLE_ENDIAN);
      for (int c = shardFirst[s]; c < shardFirst[s + 1]; c++) {
        Clip clip = clips.get(c);
        Rows rows;
        try {
          rows = reader.read(c);
          checkRows(clip, rows, rowLen);
        } catch (InvalidInputFileException | IllegalArgumentException e) {
          if (!options.skipBad()) {
            throw e;
          }
          skipped.add(c);
          reasons.add(e.getMessage());
          progress.clipDone(c);
          continue;
        }
        for (int f = 0; f < clip.numFrames(); f++) {
          if (buf.remaining() < frameBytes) {
            drain(ch, buf, sum);
          }
          int off = f * rowLen;
          if (options.dtype() == FeatureStore.DType.FLOAT32) {
            buf.asFloatBuffer().put(rows.regions(), off, rowLen);
            buf.position(buf.position() + rowLen * 4);
          } else {
            for (int i = 0; i < rowLen; i++) {
              buf.putShort(NpyArray.floatToHalf(rows.regions()[off + i]));
            }
          }
          validCounts.add(rows.valid()[f]);
        }
        progress.clipDone(c);
      }
      drain(ch, buf, sum);
      if (validCounts.size() != shardFrames[s]) { // clips were skipped: fix the first dimension
        ch.write(ByteBuffer.wrap(Npy.fixedHeader(descr,
            new long[] {validCounts.size(), options.numRegions(), options.featureDim() + 6}, HEADER_BYTES)), 0);
        ch.truncate(HEADER_BYTES + validCounts.size() * frameBytes);
        sum.reset();
        ByteBuffer back = ByteBuffer.allocateDirect(1 << 22);
        long pos = 0;
        int n;
        while ((n = ch.read(back, pos)) > 0) {
          pos += n;
          back.flip();
          sum.update(back);
          back.clear();
        }
      }
      crc[0] = sum.getValue();
    }, true);
    int frames = validCounts.size();
    if (frames == 0) {
      try {
        Files.deleteIfExists(target);
      } catch (IOException e) {
        throw new IllegalStateException("cannot remove empty shard " + target + ": " + e.getMessage(), e);
      }
    }
    long[] valid = validCounts.stream().mapToLong(Integer::longValue).toArray();
    byte[] validBytes = Npy.toBytes(NpyArray.ofLongs(valid, valid.length));
    Path validFile = dir.resolve(validName(s));
    if (frames > 0) {
      AtomicFiles.write(validFile, validBytes);
    }
    return new DoneShard(frames,
        new FeatureStoreManifest.FileEntry(regionsName(s), HEADER_BYTES + frames * frameBytes, crc[0]),
        new FeatureStoreManifest.FileEntry(validName(s), validBytes.length,
            FeatureStore.crc32(ByteBuffer.wrap(validBytes))),
        skipped, reasons);
  }

  private void checkRows(Clip clip, Rows rows, int rowLen) {
    long expected = (long) clip.numFrames() * rowLen;
    if (rows.regions().length != expected || rows.valid().length != clip.numFrames()) {
      throw new IllegalStateException(String.format(Locale.ROOT,
          "%s: expected %d region values and %d valid counts, found %d and %d", clip.key(), expected,
          clip.numFrames(), rows.regions().length, rows.valid().length));
    }
    for (int f = 0; f < clip.numFrames(); f++) {
      if (rows.valid()[f] < 1 || rows.valid()[f] > options.numRegions()) {
        throw new IllegalStateException(clip.key() + " frame " + f + ": expected 1.." + options.numRegions()
            + " real regions, found " + rows.valid()[f]);
      }
    }
  }

  private static void drain(FileChannel ch, ByteBuffer buf, CRC32 sum) throws IOException {
    buf.flip();
    sum.update(buf.duplicate());
    writeFully(ch, buf);
    buf.clear();
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private FeatureStoreManifest finish() {
    List<String> keys = new ArrayList<>();
    List<Long> index = new ArrayList<>();
    List<FeatureStoreManifest.Shard> shards = new ArrayList<>();
    List<FeatureStoreManifest.Skipped> skipped = new ArrayList<>(skippedBefore);
    long frames = 0;
    for (int s = 0; s < numShards(); s++) {
      DoneShard d = done.get(s);
      for (int i = 0; i < d.skipped().size(); i++) {
        skipped.add(new FeatureStoreManifest.Skipped(clips.get(d.skipped().get(i)).key(), d.reasons().get(i)));
      }
      if (d.frames() == 0) {
        continue;
      }
      int storeShard = shards.size();
      int firstKey = keys.size();
      int row = 0;
      for (int c = shardFirst[s]; c < shardFirst[s + 1]; c++) {
        if (d.skipped().contains(c)) {
          continue;
        }
        keys.add(clips.get(c).key());
        index.add((long) storeShard);
        index.add((long) row);
        index.add((long) clips.get(c).numFrames());
        row += clips.get(c).numFrames();
      }
      if (row != d.frames()) {
        throw new IllegalStateException(regionsName(s) + ": the plan gives " + row + " frames, the shard holds "
            + d.frames());
      }
      frames += row;
      shards.add(new FeatureStoreManifest.Shard(d.frames(), firstKey, keys.size() - firstKey, d.regions(),
          d.valid()));
    }
    if (keys.isEmpty()) {
      throw new InvalidInputFileException(Path.of(options.source()), "every clip was skipped as bad; nothing to"
          + " store (first reason: " + (skipped.isEmpty() ? "none" : skipped.get(0).reason()) + ")");
    }
    StringBuilder text = new StringBuilder();
    for (String k : keys) {
      text.append(k).append('\n');
    }
    byte[] keyBytes = text.toString().getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(dir.resolve("clips.txt"), keyBytes);
    byte[] indexBytes = Npy.toBytes(NpyArray.ofLongs(index.stream().mapToLong(Long::longValue).toArray(),
        keys.size(), 3));
    AtomicFiles.write(dir.resolve("index.npy"), indexBytes);
    FeatureStoreManifest m = new FeatureStoreManifest(options.dtype(), options.numRegions(), options.featureDim(),
        keys.size(), frames,
        new FeatureStoreManifest.FileEntry("clips.txt", keyBytes.length, FeatureStore.crc32(ByteBuffer.wrap(keyBytes))),
        new FeatureStoreManifest.FileEntry("index.npy", indexBytes.length,
            FeatureStore.crc32(ByteBuffer.wrap(indexBytes))),
        shards, skipped, options.source(), Instant.now().toString());
    AtomicFiles.writeString(dir.resolve(FeatureStore.MANIFEST), m.toJson());
    try {
      Files.deleteIfExists(dir.resolve(FeatureStore.PROGRESS));
    } catch (IOException e) {
      throw new IllegalStateException("cannot remove " + dir.resolve(FeatureStore.PROGRESS) + ": " + e.getMessage(), e);
    }
    return m;
  }

  static String regionsName(int shard) {
    return String.format(Locale.ROOT, "regions-%05d.npy", shard);
  }

  static String validName(int shard) {
    return String.format(Locale.ROOT, "valid-%05d.npy", shard);
  }

  /** SHA-256 over everything that determines the files: format, options, source, keys and frame counts. */
  private String fingerprint() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(String.format(Locale.ROOT, "%s v%d %s R=%d D=%d shard=%d skipBad=%b\n%s\n",
          FeatureStoreManifest.FORMAT, FeatureStoreManifest.VERSION, options.dtype().numpyName(),
          options.numRegions(), options.featureDim(), options.maxShardBytes(), options.skipBad(), options.source())
          .getBytes(StandardCharsets.UTF_8));
      for (Clip c : clips) {
        md.update((c.key() + "\t" + c.numFrames() + "\n").getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Creates the folder, or loads the progress of the same plan; returns the number of shards resumed. */
  private int prepareFolder() {
    try {
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw new IllegalArgumentException(dir + ": expected a folder for the store, found a file");
      }
      Files.createDirectories(dir);
      if (Files.exists(dir.resolve(FeatureStore.MANIFEST))) {
        throw new IllegalArgumentException(dir + ": already holds a feature store (" + FeatureStore.MANIFEST
            + "); remove it or choose another --to");
      }
      Path progress = dir.resolve(FeatureStore.PROGRESS);
      if (!Files.exists(progress)) {
        try (Stream<Path> s = Files.list(dir)) {
          List<String> names = s.map(p -> p.getFileName().toString()).limit(3).toList();
          if (!names.isEmpty()) {
            throw new IllegalArgumentException(dir + ": expected a new or empty folder for the store, found "
                + names + (names.size() == 3 ? " and more" : ""));
          }
        }
        return 0;
      }
      JsonNode p;
      try {
        p = MAPPER.readTree(progress.toFile());
      } catch (IOException e) {
        throw new IllegalArgumentException(progress + ": unreadable (" + e.getMessage() + "); remove " + dir
            + " and convert again", e);
      }
      if (!plan.equals(p.path("plan").asText())) {
        throw new IllegalArgumentException(dir + ": holds an unfinished conversion of another plan (different"
            + " source, clips, frame counts, dtype, regions, shard size or --skip-bad); re-run it with the same"
            + " --from and options, or remove " + dir);
      }
      removeStaleTemporaries();
      int count = 0;
      for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) p.path("shards")::fields) {
        int s = Integer.parseInt(e.getKey());
        JsonNode n = e.getValue();
        FeatureStoreManifest.FileEntry regions = entry(n.path("regions"));
        FeatureStoreManifest.FileEntry valid = entry(n.path("valid"));
        int frames = n.path("frames").asInt();
        List<Integer> skipped = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (JsonNode k : n.path("skipped")) {
          skipped.add(k.path("clip").asInt());
          reasons.add(k.path("reason").asText());
        }
        if (s < numShards() && (frames == 0 || (sizeIs(regions) && sizeIs(valid)))) {
          done.put(s, new DoneShard(frames, regions, valid, skipped, reasons));
          count++;
        }
      }
      return count;
    } catch (IOException e) {
      throw new InvalidInputFileException(dir, "cannot prepare the store folder: " + e.getMessage(), e);
    }
  }

  private boolean sizeIs(FeatureStoreManifest.FileEntry e) throws IOException {
    Path f = dir.resolve(e.file());
    return Files.isRegularFile(f) && Files.size(f) == e.bytes();
  }

  private static FeatureStoreManifest.FileEntry entry(JsonNode n) {
    return new FeatureStoreManifest.FileEntry(n.path("file").asText(), n.path("bytes").asLong(),
        n.path("crc32").asLong());
  }

  /** Temporary files of a shard that was being written when the earlier run stopped. */
  private void removeStaleTemporaries() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String name = p.getFileName().toString();
        if (name.startsWith(".") && name.endsWith(".tmp")) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private void saveProgress() {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("note", "an unfinished regionvlp features convert; re-run it with the same options to finish");
    root.put("plan", plan);
    root.put("numShards", numShards());
    ObjectNode sh = root.putObject("shards");
    for (Map.Entry<Integer, DoneShard> e : done.entrySet()) {
      ObjectNode n = sh.putObject(Integer.toString(e.getKey()));
      n.put("frames", e.getValue().frames());
      n.set("regions", FeatureStoreManifest.entry(e.getValue().regions()));
      n.set("valid", FeatureStoreManifest.entry(e.getValue().valid()));
      ArrayNode sk = n.putArray("skipped");
      for (int i = 0; i < e.getValue().skipped().size(); i++) {
        sk.addObject().put("clip", e.getValue().skipped().get(i)).put("reason", e.getValue().reasons().get(i));
      }
    }
    try {
      AtomicFiles.write(dir.resolve(FeatureStore.PROGRESS), MAPPER.writeValueAsBytes(root));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
