package regionvlp.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Crash-safe writes: the bytes go to a temporary file in the same folder, are forced to disk (when durable),
 * and the file is renamed over the target. A reader sees the old file or the new one, never half of one.
 * Checkpoints and run records are durable; regenerable corpus files skip the fsync, which would dominate
 * the time of writing tens of thousands of small frame files.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Writes {@code text} (UTF-8) to {@code target} atomically. */
  public static void writeString(Path target, String text) {
    write(target, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes {@code bytes} to {@code target} atomically. */
  public static void write(Path target, byte[] bytes) {
    write(target, ch -> {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    });
  }

  /** Something that fills a channel (opened for reading too, so a writer can patch and re-read what it wrote). */
  @FunctionalInterface
  public interface Writer {
    void writeTo(FileChannel channel) throws IOException;
  }

  /** Lets {@code writer} fill a temporary file, forces it, then renames it over {@code target}. */
  public static void write(Path target, Writer writer) {
    write(target, writer, true);
  }

  /**
   * Lets {@code writer} fill a temporary file in {@code target}'s folder, forces it to disk if {@code durable},
   * then renames it over {@code target}. On failure the temporary file is removed and the target is untouched.
   */
  public static void write(Path target, Writer writer, boolean durable) {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        writer.writeTo(ch);
        if (durable) {
          ch.force(true);
        }
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      tmp = null;
      if (durable) {
        syncDirectory(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The write already failed; the temp file is the lesser problem.
        }
      }
    }
  }

  /**
   * Forces a folder's entries (creations, renames) to disk, so that a rename survives a power cut and not
   * only a process crash. POSIX allows opening a directory for this; where the platform refuses (Windows),
   * nothing is done, as the rename there is already as durable as the platform makes it.
   */
  public static void syncDirectory(Path dir) {
    FileChannel ch;
    try {
      ch = FileChannel.open(dir, StandardOpenOption.READ);
    } catch (IOException e) {
      return; // the platform cannot open a folder (Windows): see above
    }
    try (ch) {
      ch.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot sync folder " + dir + ": " + e.getMessage(), e);
    }
  }
}
