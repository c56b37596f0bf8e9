package regionvlp.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * A converted feature store: the region rows training reads, already selected (top R by confidence,
 * edge-padded, 6-d box encoding appended; METHOD.md 1.4), in memory-mapped {@code .npy} shards. The layout is
 * in docs/FEATURE-STORE.md; {@code regionvlp features convert} writes it ({@link FeatureStoreWriter}).
 *
 * <p><b>Opening</b> checks every file named by {@code manifest.json} against its recorded byte length and
 * CRC-32, and the shard headers against the manifest. Small files (keys, index, valid counts) are always
 * checksummed. Region shards are checksummed on the first open and then, with {@link Verify#ONCE} (the
 * default), trusted while their size and modification time match a stamp in {@code .verified.json}; this
 * catches any rewrite, truncation or replacement, but not bit rot that leaves the mtime alone ({@link
 * Verify#ALWAYS} or {@code features verify} re-reads everything). A shard that fails is named with what was
 * expected and what was found.
 *
 * <p><b>Reading</b> a frame is one bulk copy of its rows, by a positional read or out of a memory mapping
 * ({@link Access}), with float16 widened to float32 through a table. Reads are thread-safe and allocate
 * nothing per call. Shards stay below 2 GiB, the limit of one mapping; mappings are released by the garbage
 * collector after {@link #close()} (Java 17 has no explicit unmap).
 */
public final class FeatureStore implements AutoCloseable {
  /** The manifest, written last. */
  public static final String MANIFEST = "manifest.json";
  /** Written after each finished shard while a conversion runs; its presence means "unfinished". */
  public static final String PROGRESS = "convert-progress.json";
  /** Verification cache (see {@link Verify#ONCE}). */
  public static final String STAMP = ".verified.json";

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final float[] HALF = new float[1 << 16]; // binary16 bits -> float
  private static final ThreadLocal<short[]> HALF_SCRATCH = ThreadLocal.withInitial(() -> new short[0]);
  private static final ThreadLocal<ByteBuffer> READ_SCRATCH = ThreadLocal.withInitial(() -> ByteBuffer.allocate(0));

  static {
    for (int i = 0; i < HALF.length; i++) {
      HALF[i] = NpyArray.halfToFloat((short) i);
    }
  }

  /** Storage type of the region rows. */
  public enum DType {
    FLOAT16("float16", "<f2", 2),
    FLOAT32("float32", "<f4", 4);

    private final String numpyName;
    private final String descr;
    private final int bytes;

    DType(String numpyName, String descr, int bytes) {
      this.numpyName = numpyName;
      this.descr = descr;
      this.bytes = bytes;
    }

    /** {@code float16} or {@code float32}. */
    public String numpyName() {
      return numpyName;
    }

    /** The .npy descr, {@code <f2} or {@code <f4}. */
    public String descr() {
      return descr;
    }

    /** Bytes per value. */
    public int bytes() {
      return bytes;
    }

    /** Accepts {@code fp16}, {@code float16}, {@code fp32}, {@code float32} (any case). */
    public static DType parse(String s) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "fp16", "float16" -> FLOAT16;
        case "fp32", "float32" -> FLOAT32;
        default -> throw new IllegalArgumentException("expected fp16 or fp32, found '" + s + "'");
      };
    }
  }

  /**
   * How region rows are read. {@code READ} copies each frame with a positional read; {@code MAPPED} copies
   * out of a memory mapping. Mapped reads are cheaper when the pages were touched recently, positional reads
   * when they were not (each new 4 KiB page of a mapping costs a page-table walk; the kernel copies from its
   * own large-page mapping). Training touches each clip once per epoch, so READ is the default; {@code
   * bench io --access} measures both.
   */
  public enum Access {
    READ,
    MAPPED
  }

  /** How much checksumming {@link #open} does. */
  public enum Verify {
    /** Checksum every file on every open. */
    ALWAYS,
    /** Checksum region shards once; afterwards trust them while size and mtime match the stamp. */
    ONCE
  }

  private final Path root;
  private final FeatureStoreManifest manifest;
  private final List<String> keys;
  private final Map<String, Integer> keyIndex;
  private final int[] clipShard; // [C]
  private final int[] clipRow; // [C], first frame row inside the shard
  private final int[] clipFrames; // [C], K
  private final Rows[] regions; // [S], data section of regions-*.npy, [frames, R, D+6]
  private final LongBuffer[] valid; // [S], data section of valid-*.npy, [frames]
  private final Path[] validFiles;
  private final int rowLength; // R * (D + 6)
  private volatile boolean closed;


  private FeatureStore(Path root, FeatureStoreManifest manifest, List<String> keys, int[] clipShard, int[] clipRow,
      int[] clipFrames, Rows[] regions, LongBuffer[] valid, Path[] validFiles) {
    this.root = root;
    this.manifest = manifest;
    this.keys = List.copyOf(keys);
    this.keyIndex = new HashMap<>(keys.size() * 2);
    for (int i = 0; i < keys.size(); i++) {
      keyIndex.put(keys.get(i), i);
    }
    this.clipShard = clipShard;
    this.clipRow = clipRow;
    this.clipFrames = clipFrames;
    this.regions = regions;
    this.valid = valid;
    this.validFiles = validFiles;
    this.rowLength = manifest.numRegions() * manifest.regionDim();
  }

  /** Opens with {@link Verify#ONCE}, {@link Access#READ} and no log. */
  public static FeatureStore open(Path root) {
    return open(root, Verify.ONCE, line -> { });
  }

  /** Opens with {@link Access#READ}. */
  public static FeatureStore open(Path root, Verify verify, Consumer<String> log) {
    return open(root, verify, Access.READ, log);
  }

  /**
   * Opens and verifies a store.
   *
   * @param access how region rows are read
   * @param log told about checksumming that takes a while and about a stamp that cannot be written
   * @throws InvalidInputFileException when the folder is not a complete store, or any file is missing,
   *     truncated, fails its checksum or disagrees with the manifest
   */
  public static FeatureStore open(Path root, Verify verify, Access access, Consumer<String> log) {
    Objects.requireNonNull(verify, "verify");
    Objects.requireNonNull(access, "access");
    Path manifestFile = root.resolve(MANIFEST);
    if (!Files.isDirectory(root)) {
      throw new InvalidInputFileException(root, "feature store not found; create one with regionvlp features"
          + " convert --from FEATURES --to " + root);
    }
    if (!Files.isRegularFile(manifestFile)) {
      if (Files.isRegularFile(root.resolve(PROGRESS))) {
        throw new InvalidInputFileException(root, "an unfinished conversion (" + PROGRESS + " but no " + MANIFEST
            + "); re-run regionvlp features convert with the same --from and options to finish it");
      }
      throw new InvalidInputFileException(root, "not a feature store: no " + MANIFEST + "; create one with"
          + " regionvlp features convert --from FEATURES --to " + root);
    }
    FeatureStoreManifest m;
    try {
      m = FeatureStoreManifest.parse(Files.readString(manifestFile, StandardCharsets.UTF_8), manifestFile);
    } catch (IOException e) {
      throw new InvalidInputFileException(manifestFile, "cannot read: " + e.getMessage(), e);
    }
    Stamp stamp = Stamp.load(root, verify);

    byte[] keyBytes = readSmall(root, m.keys());
    List<String> keys = parseKeys(keyBytes, root.resolve(m.keys().file()), m.numClips());
    NpyArray indexArray = (NpyArray) Npy.read(readSmall(root, m.index()), root.resolve(m.index().file()), null);
    Path indexFile = root.resolve(m.index().file());
    if (!indexArray.descr().equals("<i8") || !Arrays.equals(indexArray.shape(), new long[] {m.numClips(), 3})) {
      throw new InvalidInputFileException(indexFile, "expected int64 [" + m.numClips() + ", 3] (shard, first row,"
          + " frames), found " + indexArray.descr() + " " + Arrays.toString(indexArray.shape()));
    }

    int shards = m.shards().size();
    Rows[] regions = new Rows[shards];
    LongBuffer[] valid = new LongBuffer[shards];
    Path[] validFiles = new Path[shards];
    long frameTotal = 0;
    long t0 = System.nanoTime();
    long verifiedBytes = 0;
    for (int s = 0; s < shards; s++) {
      FeatureStoreManifest.Shard sh = m.shards().get(s);
      frameTotal += sh.frames();
      validFiles[s] = root.resolve(sh.valid().file());
      ByteBuffer vb = map(root, sh.valid());
      checkCrc(validFiles[s], sh.valid(), crc32(vb));
      valid[s] = dataSection(vb, validFiles[s], "<i8", new long[] {sh.frames()}).asLongBuffer();

      Path file = root.resolve(sh.regions().file());
      checkSize(file, sh.regions());
      if (sh.regions().bytes() > Integer.MAX_VALUE) {
        throw new InvalidInputFileException(file, "expected a shard below 2 GiB (one memory mapping), found "
            + sh.regions().bytes() + " bytes; re-convert with a smaller --shard-mb");
      }
      if (!stamp.trusts(file, sh.regions())) {
        if (sh.regions().bytes() > (256L << 20)) {
          log.accept(String.format(Locale.ROOT, "verifying %s (%.1f MB)", file, sh.regions().bytes() / 1e6));
        }
        checkCrc(file, sh.regions(), crc32(file));
        stamp.record(file, sh.regions());
        verifiedBytes += sh.regions().bytes();
      }
      long[] shape = {sh.frames(), m.numRegions(), m.regionDim()};
      int offset = dataOffset(head(file), sh.regions().bytes(), file, m.dtype().descr(), shape);
      try {
        regions[s] = access == Access.MAPPED ? Rows.mapped(map(root, sh.regions()), offset, m.dtype())
            : new ChannelRows(file, offset, m.dtype());
      } catch (RuntimeException e) {
        closeAll(regions);
        throw e;
      }
    }
    if (frameTotal != m.numFrames()) {
      throw new InvalidInputFileException(manifestFile, "numFrames is " + m.numFrames() + " but the shards hold "
          + frameTotal + " frames");
    }
    if (verifiedBytes > (256L << 20)) {
      log.accept(String.format(Locale.ROOT, "verified %.1f MB of shards in %.1f s", verifiedBytes / 1e6,
          (System.nanoTime() - t0) / 1e9));
    }
    stamp.save(log);

    int[] clipShard = new int[m.numClips()];
    int[] clipRow = new int[m.numClips()];
    int[] clipFrames = new int[m.numClips()];
    for (int c = 0; c < m.numClips(); c++) {
      long s = indexArray.getLong(3L * c);
      long row = indexArray.getLong(3L * c + 1);
      long k = indexArray.getLong(3L * c + 2);
      if (s < 0 || s >= shards || k < 1 || row < 0 || row + k > m.shards().get((int) s).frames()) {
        throw new InvalidInputFileException(indexFile, String.format(Locale.ROOT,
            "row %d (clip '%s'): expected a shard in [0, %d) and frames inside it, found shard %d, rows %d..%d",
            c, keys.get(c), shards, s, row, row + k - 1));
      }
      clipShard[c] = (int) s;
      clipRow[c] = (int) row;
      clipFrames[c] = (int) k;
    }
    return new FeatureStore(root, m, keys, clipShard, clipRow, clipFrames, regions, valid, validFiles);
  }

  /**
   * Re-checksums every file of a store, ignoring the stamp, and refreshes the stamp.
   *
   * @return the total number of bytes checked
   * @throws InvalidInputFileException on the first file that fails
   */
  public static long verifyAll(Path root, Consumer<String> log) {
    try (FeatureStore s = open(root, Verify.ALWAYS, log)) {
      long total = s.manifest.keys().bytes() + s.manifest.index().bytes();
      for (FeatureStoreManifest.Shard sh : s.manifest.shards()) {
        total += sh.regions().bytes() + sh.valid().bytes();
      }
      return total;
    }
  }

  public Path root() {
    return root;
  }

  public FeatureStoreManifest manifest() {
    return manifest;
  }

  public DType dtype() {
    return manifest.dtype();
  }

  /** R stored per frame. */
  public int numRegions() {
    return manifest.numRegions();
  }

  /** D. */
  public int featureDim() {
    return manifest.featureDim();
  }

  /** {@code D + 6}. */
  public int regionDim() {
    return manifest.regionDim();
  }

  public int numClips() {
    return keys.size();
  }

  /** Clip keys in store order ({@code clips.txt}). */
  public List<String> keys() {
    return keys;
  }

  /** The clip's index, or -1 when the store does not hold it. */
  public int indexOf(String key) {
    Integer i = keyIndex.get(key);
    return i == null ? -1 : i;
  }

  /** K, the frames stored for a clip (all of the source clip's frames). */
  public int frameCount(int clip) {
    Objects.checkIndex(clip, keys.size());
    return clipFrames[clip];
  }

  /**
   * Copies one frame's first {@code numRegions} region rows as float32, exactly the block {@code
   * RegionSelector} builds with that R: taking the first n rows of a top-R selection is the top-n selection,
   * and its padding is still the last real row repeated.
   *
   * @param numRegions rows wanted, 1..{@link #numRegions()}
   * @param regionsOut receives {@code numRegions * (D+6)} floats from {@code regionsOffset}
   * @param maskOut receives {@code numRegions} values from {@code maskOffset}: 1 real, 0 padding
   * @return the number of real regions written
   */
  public int readFrame(int clip, int frame, int numRegions, float[] regionsOut, int regionsOffset, float[] maskOut,
      int maskOffset) {
    if (closed) {
      throw new IllegalStateException("feature store " + root + " is closed");
    }
    Objects.checkIndex(clip, keys.size());
    Objects.checkIndex(frame, clipFrames[clip]);
    if (numRegions < 1 || numRegions > manifest.numRegions()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "numRegions: expected 1..%d (stored in %s), found %d", manifest.numRegions(), root, numRegions));
    }
    int s = clipShard[clip];
    int row = clipRow[clip] + frame;
    int length = numRegions * manifest.regionDim();
    Objects.checkFromIndexSize(regionsOffset, length, regionsOut.length);
    Objects.checkFromIndexSize(maskOffset, numRegions, maskOut.length);
    long real = valid[s].get(row);
    if (real < 1 || real > manifest.numRegions()) {
      throw new InvalidInputFileException(validFiles[s], String.format(Locale.ROOT,
          "frame row %d: expected 1..%d real regions, found %d", row, manifest.numRegions(), real));
    }
    regions[s].read(row * rowLength, length, regionsOut, regionsOffset); // < 2^31: shards are below 2 GiB
    int kept = (int) Math.min(real, numRegions);
    Arrays.fill(maskOut, maskOffset, maskOffset + kept, 1f);
    Arrays.fill(maskOut, maskOffset + kept, maskOffset + numRegions, 0f);
    return kept;
  }

  /**
   * Closes the shard files; later reads throw {@link IllegalStateException}. Mappings ({@link
   * Access#MAPPED}) are released by the garbage collector.
   */
  @Override
  public void close() {
    closed = true;
    closeAll(regions);
  }

  private static void closeAll(Rows[] rows) {
    for (Rows r : rows) {
      if (r != null) {
        r.close();
      }
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "FeatureStore[%s, %d clips, %d frames, %s, R=%d, D=%d]", root, keys.size(),
        manifest.numFrames(), manifest.dtype().numpyName(), manifest.numRegions(), manifest.featureDim());
  }

  // ---------------------------------------------------------------------------------------------------

  /** CRC-32 of the remaining bytes of {@code b} (not consumed). */
  static long crc32(ByteBuffer b) {
    CRC32 crc = new CRC32();
    crc.update(b.duplicate());
    return crc.getValue();
  }

  /** CRC-32 of a whole file, streamed. */
  static long crc32(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      CRC32 crc = new CRC32();
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 22);
      while (ch.read(buf) >= 0) {
        buf.flip();
        crc.update(buf);
        buf.clear();
      }
      return crc.getValue();
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  private static void checkCrc(Path file, FeatureStoreManifest.FileEntry e, long found) {
    if (found != e.crc32()) {
      throw new InvalidInputFileException(file, String.format(Locale.ROOT,
          "checksum mismatch: expected crc32 %08x (%s), found %08x; the file is corrupt: restore it or re-run"
              + " regionvlp features convert", e.crc32(), MANIFEST, found));
    }
  }

  private static void checkSize(Path file, FeatureStoreManifest.FileEntry e) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputFileException(file, "missing: " + MANIFEST + " lists it with " + e.bytes() + " bytes");
    }
    long size;
    try {
      size = Files.size(file);
    } catch (IOException ex) {
      throw new InvalidInputFileException(file, "cannot read: " + ex.getMessage(), ex);
    }
    if (size != e.bytes()) {
      throw new InvalidInputFileException(file, String.format(Locale.ROOT, "%s: expected %d bytes (%s), found %d",
          size < e.bytes() ? "truncated" : "wrong size", e.bytes(), MANIFEST, size));
    }
  }

  /** Reads a small file whole, checking size and checksum. */
  private static byte[] readSmall(Path root, FeatureStoreManifest.FileEntry e) {
    Path file = root.resolve(e.file());
    checkSize(file, e);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException ex) {
      throw new InvalidInputFileException(file, "cannot read: " + ex.getMessage(), ex);
    }
    checkCrc(file, e, crc32(ByteBuffer.wrap(bytes)));
    return bytes;
  }

  private static MappedByteBuffer map(Path root, FeatureStoreManifest.FileEntry e) {
    Path file = root.resolve(e.file());
    checkSize(file, e);
    if (e.bytes() > Integer.MAX_VALUE) {
      throw new InvalidInputFileException(file, "expected a shard below 2 GiB (one memory mapping), found "
          + e.bytes() + " bytes; re-convert with a smaller --shard-mb");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return ch.map(FileChannel.MapMode.READ_ONLY, 0, e.bytes());
    } catch (IOException ex) {
      throw new InvalidInputFileException(file, "cannot map: " + ex.getMessage(), ex);
    }
  }

  /** The first bytes of a file, enough for its .npy header. */
  private static byte[] head(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate((int) Math.min(4096, ch.size()));
      while (b.hasRemaining() && ch.read(b) >= 0) {
        // a short read: keep reading
      }
      return b.array();
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  /** Checks a .npy header against the manifest and returns where the data starts. */
  private static int dataOffset(byte[] head, long fileSize, Path file, String descr, long[] shape) {
    Npy.Header h = Npy.parseHeader(head, file, "");
    if (!h.descr().equals(descr) || h.fortranOrder() || !Arrays.equals(h.shape(), shape)) {
      throw new InvalidInputFileException(file, "expected a C-order " + descr + " " + Arrays.toString(shape)
          + " array (from " + MANIFEST + "), found " + h.descr() + " " + Arrays.toString(h.shape())
          + (h.fortranOrder() ? " in Fortran order" : ""));
    }
    long expected = NpyArray.elementCount(shape) * NpyArray.itemSize(descr);
    if (fileSize - h.dataOffset() != expected) {
      throw new InvalidInputFileException(file, "expected " + expected + " data bytes after the header, found "
          + (fileSize - h.dataOffset()));
    }
    return h.dataOffset();
  }

  /** The little-endian data section of a mapped .npy file, checked against the manifest. */
  private static ByteBuffer dataSection(ByteBuffer mapped, Path file, String descr, long[] shape) {
    byte[] head = new byte[Math.min(mapped.capacity(), 4096)];
    mapped.get(0, head);
    int offset = dataOffset(head, mapped.capacity(), file, descr, shape);
    return mapped.slice(offset, mapped.capacity() - offset).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static List<String> parseKeys(byte[] bytes, Path file, int expected) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    List<String> keys = new ArrayList<>(expected);
    int start = 0;
    while (start < text.length()) {
      int nl = text.indexOf('\n', start);
      if (nl < 0) {
        throw new InvalidInputFileException(file, "expected every key to end with a newline; the last one does not");
      }
      keys.add(text.substring(start, nl));
      start = nl + 1;
    }
    if (keys.size() != expected) {
      throw new InvalidInputFileException(file, "expected " + expected + " keys (numClips in " + MANIFEST
          + "), found " + keys.size());
    }
    Map<String, Integer> seen = new HashMap<>(keys.size() * 2);
    for (int i = 0; i < keys.size(); i++) {
      Integer prev = seen.put(keys.get(i), i);
      if (prev != null) {
        throw new InvalidInputFileException(file, "key '" + keys.get(i) + "' appears twice (lines " + (prev + 1)
            + " and " + (i + 1) + ")");
      }
    }
    return keys;
  }

  /** A shard's rows: copies {@code length} values from element {@code start} as float32. Thread-safe. */
  private interface Rows {
    void read(int start, int length, float[] out, int offset);

    void close();

    static Rows mapped(MappedByteBuffer file, int dataOffset, DType dtype) {
      ByteBuffer data = file.slice(dataOffset, file.capacity() - dataOffset).order(ByteOrder.LITTLE_ENDIAN);
      if (dtype == DType.FLOAT32) {
        FloatBuffer floats = data.asFloatBuffer();
        return new Rows() {
          @Override
          public void read(int start, int length, float[] out, int offset) {
            floats.get(start, out, offset, length);
          }

          @Override
          public void close() {}
        };
      }
      ShortBuffer halves = data.asShortBuffer();
      return new Rows() {
        @Override
        public void read(int start, int length, float[] out, int offset) {
          short[] tmp = halfScratch(length);
          halves.get(start, tmp, 0, length);
          widen(tmp, length, out, offset);
        }

        @Override
        public void close() {}
      };
    }
  }

  private static short[] halfScratch(int length) {
    short[] halves = HALF_SCRATCH.get();
    if (halves.length < length) {
      halves = new short[length];
      HALF_SCRATCH.set(halves);
    }
    return halves;
  }

  private static void widen(short[] halves, int length, float[] out, int offset) {
    for (int i = 0; i < length; i++) {
      out[offset + i] = HALF[halves[i] & 0xffff];
    }
  }

  /**
   * Rows read with positional reads ({@code pread}) into a per-thread direct buffer. A {@link FileChannel}
   * is closed for every user when a thread blocked in it is interrupted (a cancelled prefetch does that),
   * so a channel found closed while the store is open is reopened and the read retried, at most twice.
   */
  private static final class ChannelRows implements Rows {
    private final Path file;
    private final long dataOffset;
    private final DType dtype;
    private volatile FileChannel channel;
    private volatile boolean closed;

    ChannelRows(Path file, long dataOffset, DType dtype) {
      this.file = file;
      this.dataOffset = dataOffset;
      this.dtype = dtype;
      this.channel = openChannel();
    }

    private FileChannel openChannel() {
      try {
        return FileChannel.open(file, StandardOpenOption.READ);
      } catch (IOException e) {
        throw new InvalidInputFileException(file, "cannot open: " + e.getMessage(), e);
      }
    }

    private synchronized void reopen(FileChannel broken) {
      if (channel == broken && !closed) {
        channel = openChannel();
      }
    }

    @Override
    public void read(int start, int length, float[] out, int offset) {
      int bytes = length * dtype.bytes();
      ByteBuffer buf = READ_SCRATCH.get();
      if (buf.capacity() < bytes) {
        buf = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        READ_SCRATCH.set(buf);
      }
      long position = dataOffset + (long) start * dtype.bytes();
      for (int attempt = 1; ; attempt++) {
        FileChannel ch = channel;
        buf.clear().limit(bytes);
        try {
          while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) {
              throw new InvalidInputFileException(file, "unexpected end of file at byte " + (position + buf.position()));
            }
          }
          break;
        } catch (ClosedByInterruptException e) {
          reopen(ch);
          throw new IllegalStateException("interrupted while reading " + file, e);
        } catch (ClosedChannelException e) {
          if (closed) {
            throw new IllegalStateException("feature store shard " + file + " is closed", e);
          }
          if (attempt == 3) {
            throw new InvalidInputFileException(file, "the file channel keeps being closed; giving up", e);
          }
          reopen(ch);
        } catch (IOException e) {
          throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
        }
      }
      buf.flip();
      if (dtype == DType.FLOAT32) {
        buf.asFloatBuffer().get(out, offset, length);
      } else {
        short[] tmp = halfScratch(length);
        buf.asShortBuffer().get(tmp, 0, length);
        widen(tmp, length, out, offset);
      }
    }

    @Override
    public synchronized void close() {
      closed = true;
      try {
        channel.close();
      } catch (IOException ignored) {
        // Read-only: nothing can be lost.
      }
    }
  }

  /** The {@link Verify#ONCE} cache: file name -> size, mtime and CRC it was verified with. */
  private static final class Stamp {
    private final Path file;
    private final boolean enabled;
    private final ObjectNode entries;
    private boolean dirty;

    private Stamp(Path file, boolean enabled, ObjectNode entries) {
      this.file = file;
      this.enabled = enabled;
      this.entries = entries;
    }

    static Stamp load(Path root, Verify verify) {
      Path file = root.resolve(STAMP);
      ObjectNode entries = MAPPER.createObjectNode();
      if (Files.isRegularFile(file)) {
        try {
          JsonNode n = MAPPER.readTree(file.toFile());
          if (n != null && n.path("files").isObject()) {
            entries = (ObjectNode) n.get("files");
          }
        } catch (IOException | RuntimeException e) {
          // A damaged cache only costs a re-verification.
        }
      }
      return new Stamp(file, verify == Verify.ONCE, entries);
    }

    boolean trusts(Path f, FeatureStoreManifest.FileEntry e) {
      if (!enabled) {
        return false;
      }
      JsonNode s = entries.get(e.file());
      return s != null && s.path("bytes").asLong(-1) == e.bytes() && s.path("crc32").asLong(-1) == e.crc32()
          && s.path("mtime").asText("").equals(mtime(f));
    }

    void record(Path f, FeatureStoreManifest.FileEntry e) {
      ObjectNode s = entries.putObject(e.file());
      s.put("bytes", e.bytes());
      s.put("crc32", e.crc32());
      s.put("mtime", mtime(f));
      dirty = true;
    }

    void save(Consumer<String> log) {
      if (!dirty) {
        return;
      }
      ObjectNode root = MAPPER.createObjectNode();
      root.put("note", "verification cache of regionvlp's FeatureStore; safe to delete");
      root.set("files", entries);
      try {
        AtomicFiles.write(file, MAPPER.writeValueAsBytes(root));
      } catch (IOException | UncheckedIOException e) {
        log.accept("cannot cache the shard verification in " + file + " (" + e.getMessage()
            + "); shards will be checksummed again on the next open");
      }
    }

    private static String mtime(Path f) {
      try {
        return Files.getLastModifiedTime(f).toString();
      } catch (IOException e) {
        return "";
      }
    }
  }
}
