package regionvlp.index;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.stream.Stream;
import regionvlp.data.AtomicFiles;
import regionvlp.data.Npy;
import regionvlp.data.NpyArray;
import regionvlp.eval.Similarity;

/**
 * Writes an index folder. Videos are added in ordinal order; their embeddings are normalised here with
 * the same arithmetic as {@link Similarity#normalized}, and region data streams to disk as it comes. The
 * folder is assembled under a temporary name beside the target and renamed into place by {@link #finish},
 * so an interrupted build leaves no half index and never touches an existing one.
 */
public final class VideoIndexWriter implements AutoCloseable {
  private final Path target;
  private final Path tmp;
  private final int count;
  private final int dim;
  private final IndexManifest.RegionInfo regionInfo;
  private final List<String> ids = new ArrayList<>();
  private final float[] vectors;
  private final FileChannel regions;
  private final FileChannel valid;
  private final FileChannel boxes;
  private final FileChannel frames;
  private boolean finished;

  private VideoIndexWriter(Path target, Path tmp, int count, int dim, IndexManifest.RegionInfo regionInfo)
      throws IOException {
    this.target = target;
    this.tmp = tmp;
    this.count = count;
    this.dim = dim;
    this.regionInfo = regionInfo;
    this.vectors = new float[Math.multiplyExact(count, dim)];
    if (regionInfo != null) {
      int t = regionInfo.slots();
      regions = open(RegionStore.REGIONS, "<f2", count, t, dim);
      valid = open(RegionStore.VALID, "|u1", count, t);
      boxes = open(RegionStore.BOXES, "<f4", count, t, 4);
      frames = open(RegionStore.FRAMES, "<i4", count, regionInfo.frames());
    } else {
      regions = valid = boxes = frames = null;
    }
  }

  /**
   * Starts an index of {@code count} videos of width {@code dim} at {@code target}, which must not exist.
   *
   * @param regionInfo F and R of the region data each video will bring, or null for none
   */
  public static VideoIndexWriter create(Path target, int count, int dim, IndexManifest.RegionInfo regionInfo) {
    if (Files.exists(target)) {
      throw new IllegalArgumentException(target + " already exists; choose a new --out (an index is never "
          + "overwritten)");
    }
    try {
      Path parent = target.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".");
      try {
        return new VideoIndexWriter(target, tmp, count, dim, regionInfo);
      } catch (IOException | RuntimeException e) {
        deleteTree(tmp);
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + target + ": " + e.getMessage(), e);
    }
  }

  private FileChannel open(String name, String descr, long... shape) throws IOException {
    FileChannel ch = FileChannel.open(tmp.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    writeFully(ch, ByteBuffer.wrap(Npy.header(descr, shape)));
    return ch;
  }

  /** Number of videos added so far. */
  public int added() {
    return ids.size();
  }

  /**
   * Adds the next video.
   *
   * @param id its id (no line breaks)
   * @param embedding its global embedding [E], not necessarily normalised
   * @param region its region data, or null when the index has none
   */
  public void add(String id, float[] embedding, RegionData region) {
    if (finished) {
      throw new IllegalStateException("the index is already finished");
    }
    if (ids.size() == count) {
      throw new IllegalStateException("all " + count + " videos are already added");
    }
    if (id.isEmpty() || id.indexOf('\n') >= 0 || id.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("video id must be non-empty and on one line, found '" + id + "'");
    }
    if (embedding.length != dim) {
      throw new IllegalArgumentException("embedding of " + id + " has " + embedding.length + " values, expected "
          + dim);
    }
    if ((region == null) != (regionInfo == null)) {
      throw new IllegalArgumentException(regionInfo == null ? "this index stores no region data"
          : "region data for " + id + " is missing");
    }
    float[] unit = Similarity.normalized(new float[][] {embedding})[0];
    System.arraycopy(unit, 0, vectors, ids.size() * dim, dim);
    if (region != null) {
      writeRegion(id, region);
    }
    ids.add(id);
  }

  /**
   * One video's region data.
   *
   * @param local region embeddings [T, E]
   * @param valid whether each of the T slots is a real region
   * @param boxes [T, 4]: x1, y1, x2, y2 as fractions of the frame
   * @param frameNumbers the stored frame number behind each of the F sampled frames
   */
  public record RegionData(float[] local, boolean[] valid, float[] boxes, int[] frameNumbers) {}

  private void writeRegion(String id, RegionData r) {
    int t = regionInfo.slots();
    if (r.local().length != t * dim || r.valid().length != t || r.boxes().length != t * 4
        || r.frameNumbers().length != regionInfo.frames()) {
      throw new IllegalArgumentException("region data of " + id + ": expected [" + t + ", " + dim + "], " + t
          + " flags, [" + t + ", 4] boxes and " + regionInfo.frames() + " frame numbers");
    }
    ByteBuffer half = ByteBuffer.allocate(t * dim * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float x : r.local()) {
      half.putShort(NpyArray.floatToHalf(x));
    }
    ByteBuffer flags = ByteBuffer.allocate(t);
    for (boolean v : r.valid()) {
      flags.put((byte) (v ? 1 : 0));
    }
    ByteBuffer box = ByteBuffer.allocate(t * 16).order(ByteOrder.LITTLE_ENDIAN);
    box.asFloatBuffer().put(r.boxes());
    ByteBuffer fr = ByteBuffer.allocate(regionInfo.frames() * 4).order(ByteOrder.LITTLE_ENDIAN);
    fr.asIntBuffer().put(r.frameNumbers());
    try {
      writeFully(regions, half.flip());
      writeFully(valid, flags.flip());
      writeFully(boxes, box);
      writeFully(frames, fr);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write region data under " + tmp + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the ids, the embeddings, the HNSW graph (when {@code hnsw} is not null) and the manifest, then
   * renames the folder into place.
   *
   * @param manifest the manifest; its count, width, regions and hnsw fields are filled in here
   * @param hnswProgress told how many vectors the graph holds, every few thousand (may be null)
   */
  public IndexManifest finish(IndexManifest manifest, IndexManifest.HnswInfo hnsw, IntConsumer hnswProgress) {
    if (ids.size() != count) {
      throw new IllegalStateException("expected " + count + " videos, " + ids.size() + " were added");
    }
    IndexManifest m = new IndexManifest(IndexManifest.FORMAT, manifest.createdAt(), count, dim,
        manifest.checkpoint(), manifest.config(), manifest.source(), regionInfo, hnsw);
    try {
      for (FileChannel ch : new FileChannel[] {regions, valid, boxes, frames}) {
        if (ch != null) {
          ch.force(true);
          ch.close();
        }
      }
      AtomicFiles.writeString(tmp.resolve(VideoIndex.IDS), String.join("\n", ids) + (ids.isEmpty() ? "" : "\n"));
      AtomicFiles.write(tmp.resolve(VideoIndex.EMBEDDINGS), Npy.toBytes(NpyArray.ofFloats(vectors, count, dim)));
      if (hnsw != null) {
        HnswGraphIndex.build(tmp.resolve(HnswGraphIndex.DIR), vectors, count, dim, hnsw, hnswProgress);
      }
      m.write(tmp);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      finished = true;
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot finish " + target + ": " + e.getMessage(), e);
    }
  }

  /** Removes the temporary folder unless {@link #finish} succeeded. */
  @Override
  public void close() {
    if (finished) {
      return;
    }
    for (FileChannel ch : new FileChannel[] {regions, valid, boxes, frames}) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // the folder is deleted next
        }
      }
    }
    deleteTree(tmp);
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException ignored) {
      // best effort: a leftover hidden temp folder is harmless and names itself
    }
  }
}
