package regionvlp.index;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Npy;
import regionvlp.data.NpyArray;

/**
 * Per-video region data of an index, read on demand with positional reads (a gallery's region embeddings
 * can be far larger than the heap): float16 region embeddings [N, T, E], validity [N, T], boxes
 * [N, T, 4] and sampled frame numbers [N, F]. Thread-safe.
 */
public final class RegionStore implements AutoCloseable {
  static final String REGIONS = "regions.npy";
  static final String VALID = "region_valid.npy";
  static final String BOXES = "boxes.npy";
  static final String FRAMES = "frames.npy";

  /** Additive key mask of a padded slot, as the video encoder emits it. */
  public static final float PADDED = -100f;

  private final IndexManifest.RegionInfo info;
  private final int count;
  private final int dim;
  private final Array regions;
  private final Array valid;
  private final Array boxes;
  private final Array frames;

  private RegionStore(IndexManifest.RegionInfo info, int count, int dim, Array regions, Array valid, Array boxes,
      Array frames) {
    this.info = info;
    this.count = count;
    this.dim = dim;
    this.regions = regions;
    this.valid = valid;
    this.boxes = boxes;
    this.frames = frames;
  }

  static RegionStore open(Path dir, IndexManifest m) {
    IndexManifest.RegionInfo info = m.regions();
    int n = m.count();
    int t = info.slots();
    Array regions = Array.open(dir.resolve(REGIONS), "<f2", n, t, m.embedDim());
    try {
      return new RegionStore(info, n, m.embedDim(), regions, Array.open(dir.resolve(VALID), "|u1", n, t),
          Array.open(dir.resolve(BOXES), "<f4", n, t, 4), Array.open(dir.resolve(FRAMES), "<i4", n,
              info.frames()));
    } catch (RuntimeException e) {
      regions.close();
      throw e;
    }
  }

  /** F, R and the storage type. */
  public IndexManifest.RegionInfo info() {
    return info;
  }

  /** T = F * R slots per video. */
  public int slots() {
    return info.slots();
  }

  /**
   * Region embeddings of several videos, widened to float32, and their additive key masks, laid out as
   * the encoder emits them.
   *
   * @param values receives [ords.length, T, E]
   * @param mask receives [ords.length, T]: 0 for real regions, {@link #PADDED} for padding
   */
  public void read(int[] ords, float[] values, float[] mask) {
    int t = slots();
    int per = t * dim;
    for (int i = 0; i < ords.length; i++) {
      ByteBuffer b = regions.row(check(ords[i]));
      for (int j = 0; j < per; j++) {
        values[i * per + j] = NpyArray.halfToFloat(b.getShort(j * 2));
      }
      ByteBuffer v = valid.row(ords[i]);
      for (int j = 0; j < t; j++) {
        mask[i * t + j] = v.get(j) != 0 ? 0f : PADDED;
      }
    }
  }

  /** Whether each of a video's T slots holds a real region. */
  public boolean[] valid(int ord) {
    ByteBuffer v = valid.row(check(ord));
    boolean[] out = new boolean[slots()];
    for (int j = 0; j < out.length; j++) {
      out[j] = v.get(j) != 0;
    }
    return out;
  }

  /** A video's boxes [T, 4]: x1, y1, x2, y2 as fractions of the frame's width and height. */
  public float[] boxes(int ord) {
    float[] out = new float[slots() * 4];
    boxes.row(check(ord)).asFloatBuffer().get(out);
    return out;
  }

  /** The stored frame number (FEATURES/&lt;id&gt;/&lt;k&gt;.npz) behind each of a video's F sampled frames. */
  public int[] frameNumbers(int ord) {
    int[] out = new int[info.frames()];
    frames.row(check(ord)).asIntBuffer().get(out);
    return out;
  }

  private int check(int ord) {
    if (ord < 0 || ord >= count) {
      throw new IndexOutOfBoundsException("video ordinal " + ord + " outside [0, " + count + ")");
    }
    return ord;
  }

  @Override
  public void close() {
    regions.close();
    valid.close();
    boxes.close();
    frames.close();
  }

  /** One .npy file read row by row (row = everything after the first axis). */
  static final class Array implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final long dataOffset;
    private final int rowBytes;

    private Array(Path file, FileChannel channel, long dataOffset, int rowBytes) {
      this.file = file;
      this.channel = channel;
      this.dataOffset = dataOffset;
      this.rowBytes = rowBytes;
    }

    static Array open(Path file, String descr, long... shape) {
      FileChannel ch = null;
      try {
        ch = FileChannel.open(file, StandardOpenOption.READ);
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(ch.size(), 4096));
        ch.read(head, 0);
        Npy.Header h = Npy.parseHeader(Arrays.copyOf(head.array(), head.position()), file, "");
        if (!h.descr().equals(descr) || h.fortranOrder() || !Arrays.equals(h.shape(), shape)) {
          throw new InvalidInputFileException(file, "expected " + descr + " " + Arrays.toString(shape)
              + " (from " + IndexManifest.FILE + "), found " + h.descr() + " " + Arrays.toString(h.shape())
              + (h.fortranOrder() ? " in Fortran order" : ""));
        }
        long rowBytes = (long) NpyArray.itemSize(descr);
        for (int i = 1; i < shape.length; i++) {
          rowBytes *= shape[i];
        }
        long expected = h.dataOffset() + rowBytes * shape[0];
        if (ch.size() != expected) {
          throw new InvalidInputFileException(file, "expected " + expected + " bytes, found " + ch.size());
        }
        return new Array(file, ch, h.dataOffset(), Math.toIntExact(rowBytes));
      } catch (IOException e) {
        closeQuietly(ch);
        throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
      } catch (RuntimeException e) {
        closeQuietly(ch);
        throw e;
      }
    }

    /** Row {@code i}, little-endian. */
    ByteBuffer row(int i) {
      ByteBuffer b = ByteBuffer.allocate(rowBytes).order(ByteOrder.LITTLE_ENDIAN);
      try {
        long pos = dataOffset + (long) i * rowBytes;
        while (b.hasRemaining()) {
          if (channel.read(b, pos + b.position()) < 0) {
            throw new InvalidInputFileException(file, "truncated at row " + i);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
      }
      return b.flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() {
      closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel ch) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // read-only channel: nothing to lose
        }
      }
    }
  }
}
