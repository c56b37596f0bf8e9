package regionvlp.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The per-clip frame-feature folders: {@code FEATURES/<video_id>/<k>.npz}, k = 0..K-1 (METHOD.md 1.3, gap
 * G11: 0-based, {@code 0.npz} must exist). A video id may contain {@code /} separators (WebVid's
 * {@code <page_dir>/<videoid>}, LSMDC's {@code <movie>/<clip>}).
 *
 * <p><b>Counting K.</b> The original takes {@code K = len(os.listdir(folder))}, so any stray file counts
 * as a frame and can make the sampler ask for a file that does not exist. {@link #countFrames} instead
 * counts only names matching {@code ^\d+\.npz$}, requires them to be exactly {@code 0.npz .. (K-1).npz}
 * (no gaps, no leading zeros) and fails otherwise, naming the first missing index.
 * {@link #countEntriesFaithful} returns the original's count for comparison.
 *
 * <p>Missing roots and folders are {@link InvalidInputFileException}s naming the path and the fix; the
 * original silently drew another random sample instead (G18).
 */
public final class ClipFolder {

  private static final Pattern FRAME_FILE = Pattern.compile("^(\\d+)\\.npz$");

  private final Path featuresRoot;

  /**
   * @param featuresRoot the FEATURES folder holding one sub-folder per video
   * @throws InvalidInputFileException when it does not exist or is not a directory
   */
  public ClipFolder(Path featuresRoot) {
    Objects.requireNonNull(featuresRoot, "featuresRoot");
    if (!Files.isDirectory(featuresRoot)) {
      throw new InvalidInputFileException(
          featuresRoot,
          (Files.exists(featuresRoot) ? "expected a directory, found a file" : "features root not found")
              + "; point the features root at the folder holding <video_id>/<k>.npz");
    }
    this.featuresRoot = featuresRoot;
  }

  public Path featuresRoot() {
    return featuresRoot;
  }

  /** {@code FEATURES/<videoId>}; does not check that it exists. */
  public Path clipDir(String videoId) {
    Objects.requireNonNull(videoId, "videoId");
    if (videoId.isEmpty() || videoId.startsWith("/") || videoId.startsWith("\\")) {
      throw new IllegalArgumentException("videoId must be a non-empty relative path, found '" + videoId + "'");
    }
    for (String part : videoId.split("[/\\\\]")) {
      if (part.equals("..") || part.equals(".")) {
        throw new IllegalArgumentException("videoId must not contain '.' or '..' segments, found '" + videoId + "'");
      }
    }
    return featuresRoot.resolve(videoId);
  }

  /** {@code FEATURES/<videoId>/<k>.npz}; does not check that it exists. */
  public Path frameFile(String videoId, int k) {
    if (k < 0) {
      throw new IllegalArgumentException("frame index must be >= 0, found " + k);
    }
    return clipDir(videoId).resolve(k + ".npz");
  }

  /**
   * K, the number of frame files of a clip, checked to be exactly {@code 0.npz .. (K-1).npz}. Other
   * entries (sub-folders, {@code .json}, hidden files) are ignored.
   *
   * @throws InvalidInputFileException when the folder is missing, holds no frame file, has a gap in the
   *     numbering, or a name with a leading zero
   */
  public int countFrames(String videoId) {
    return countFrameFiles(requireClipDir(videoId));
  }

  /**
   * K for any clip folder, with the checks of {@link #countFrames(String)}.
   *
   * @throws InvalidInputFileException when the folder cannot be listed, holds no frame file, has a gap in
   *     the numbering, or a name with a leading zero
   */
  public static int countFrameFiles(Path dir) {
    BitSet seen = new BitSet();
    int count = 0;
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : (Iterable<Path>) entries::iterator) {
        String name = entry.getFileName().toString();
        Matcher m = FRAME_FILE.matcher(name);
        if (!m.matches()) {
          continue;
        }
        String digits = m.group(1);
        if (digits.length() > 1 && digits.charAt(0) == '0') {
          throw new InvalidInputFileException(
              entry, "expected frame file names <k>.npz without leading zeros, found " + name);
        }
        if (digits.length() > 9) {
          throw new InvalidInputFileException(entry, "frame index too large: " + name);
        }
        seen.set(Integer.parseInt(digits));
        count++;
      }
    } catch (IOException e) {
      throw new InvalidInputFileException(dir, "cannot list clip folder: " + e.getMessage(), e);
    }
    if (count == 0) {
      throw new InvalidInputFileException(
          dir, "expected frame files 0.npz, 1.npz, ..., found none; re-run feature extraction for this video");
    }
    int firstMissing = seen.nextClearBit(0);
    if (firstMissing < count) {
      throw new InvalidInputFileException(
          dir,
          String.format(
              Locale.ROOT,
              "expected contiguous frame files 0.npz..%d.npz, found %d files but %d.npz is missing"
                  + " (highest is %d.npz); frames are numbered from 0 (G11)",
              count - 1,
              count,
              firstMissing,
              seen.length() - 1));
    }
    return count;
  }

  /**
   * The original's K: every directory entry counts, whatever its name ({@code len(os.listdir)}).
   *
   * @throws InvalidInputFileException when the folder is missing
   */
  public int countEntriesFaithful(String videoId) {
    Path dir = requireClipDir(videoId);
    try (Stream<Path> entries = Files.list(dir)) {
      return Math.toIntExact(entries.count());
    } catch (IOException e) {
      throw new InvalidInputFileException(dir, "cannot list clip folder: " + e.getMessage(), e);
    }
  }

  private Path requireClipDir(String videoId) {
    Path dir = clipDir(videoId);
    if (!Files.isDirectory(dir)) {
      throw new InvalidInputFileException(
          dir,
          "clip folder for video '"
              + videoId
              + "' not found; expected "
              + featuresRoot
              + "/<video_id>/<k>.npz (0-based). Check the features root and the video id column of"
              + " the caption table, or extract features for this video");
    }
    return dir;
  }

  @Override
  public String toString() {
    return "ClipFolder[" + featuresRoot + "]";
  }
}
