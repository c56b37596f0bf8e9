package regionvlp.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Reader and writer of numpy {@code .npz} archives: a zip of {@code <name>.npy} entries, stored (as {@code
 * np.savez} writes them) or deflated (as {@code np.savez_compressed} does).
 *
 * <p>Values are {@link NpyArray} for numeric entries and, for object entries, whatever {@link SafeUnpickler}
 * produced (normally a {@link PyObjectArray}).
 */
public final class Npz {
  /** Entries larger than this cannot be held in one Java array. */
  private static final long MAX_ENTRY_BYTES = Integer.MAX_VALUE - 16;

  /** DOS epoch: a fixed timestamp keeps written archives byte-reproducible. */
  private static final long FIXED_TIME = 315532800000L + 12L * 3600 * 1000;

  private Npz() {}

  /**
   * Reads every entry, in archive order, keyed by entry name without the {@code .npy} suffix.
   *
   * @throws InvalidInputFileException naming the file (and entry) if the archive or an entry is unreadable
   */
  public static Map<String, Object> read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputFileException(file, "npz file not found (expected a regular file)");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        if (e.isDirectory()) {
          continue;
        }
        String name = e.getName();
        String key = name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
        if (e.getSize() > MAX_ENTRY_BYTES) {
          throw new InvalidInputFileException(
              file,
              String.format(
                  Locale.ROOT, "entry '%s': %d bytes is more than the %d supported", name, e.getSize(), MAX_ENTRY_BYTES));
        }
        byte[] bytes;
        try (InputStream in = zip.getInputStream(e)) {
          bytes = readAll(in, e.getSize());
        } catch (IOException ex) {
          throw new InvalidInputFileException(
              file, "entry '" + name + "': corrupt or truncated zip data: " + ex.getMessage(), ex);
        }
        if (e.getSize() >= 0 && bytes.length != e.getSize()) {
          throw new InvalidInputFileException(
              file,
              "entry '" + name + "': truncated: expected " + e.getSize() + " bytes, found " + bytes.length);
        }
        out.put(key, Npy.read(bytes, file, name));
      }
    } catch (NoSuchFileException e) {
      throw new InvalidInputFileException(file, "npz file not found", e);
    } catch (ZipException e) {
      throw new InvalidInputFileException(
          file, "not a readable npz (zip) archive, possibly truncated: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read npz archive: " + e, e);
    }
    return out;
  }

  private static byte[] readAll(InputStream in, long declared) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(declared > 0 ? (int) declared : 8192);
    byte[] chunk = new byte[65536];
    long total = 0;
    int n;
    while ((n = in.read(chunk)) > 0) {
      total += n;
      if (total > MAX_ENTRY_BYTES) {
        throw new IOException("entry inflates beyond " + MAX_ENTRY_BYTES + " bytes");
      }
      buf.write(chunk, 0, n);
    }
    return buf.toByteArray();
  }

  /**
   * Serializes entries into an npz image. A value is an {@link NpyArray} ({@code <f4}, {@code <f8} or {@code
   * <i8}), or anything {@link PickleWriter} can write, which is stored as a 0-d object array.
   *
   * @param compressed deflate entries ({@code np.savez_compressed}) instead of storing them ({@code np.savez})
   */
  public static byte[] toBytes(Map<String, ?> entries, boolean compressed) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      write(bytes, entries, compressed);
    } catch (IOException e) {
      throw new IllegalStateException("in-memory write failed", e);
    }
    return bytes.toByteArray();
  }

  /** Writes entries (see {@link #toBytes}) as an npz archive to {@code out}; the stream is not closed. */
  public static void write(OutputStream out, Map<String, ?> entries, boolean compressed) throws IOException {
    ZipOutputStream zip = new ZipOutputStream(out);
    for (Map.Entry<String, ?> en : entries.entrySet()) {
      Object v = en.getValue();
      byte[] npy =
          v instanceof NpyArray a ? Npy.toBytes(a) : Npy.objectScalarBytes(PickleWriter.objectScalar(v));
      ZipEntry e = new ZipEntry(en.getKey() + ".npy");
      e.setTime(FIXED_TIME);
      if (compressed) {
        e.setMethod(ZipEntry.DEFLATED);
      } else {
        CRC32 crc = new CRC32();
        crc.update(npy);
        e.setMethod(ZipEntry.STORED);
        e.setSize(npy.length);
        e.setCompressedSize(npy.length);
        e.setCrc(crc.getValue());
      }
      zip.putNextEntry(e);
      zip.write(npy);
      zip.closeEntry();
    }
    zip.finish();
    zip.flush();
  }
}
