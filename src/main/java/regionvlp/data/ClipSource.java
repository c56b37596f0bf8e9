package regionvlp.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the frame files of one clip are (METHOD.md 1.3): a folder of {@code <k>.npz} files (every video
 * dataset), or one image file (CC3M, an image read as a 1-frame video).
 */
public sealed interface ClipSource permits ClipSource.FrameFolder, ClipSource.SingleImage {

  /**
   * K, the number of frames the clip has.
   *
   * @throws ClipFaultException ({@link DataFault.Kind#MISSING}) when the folder or file is absent or a frame
   *     file is missing from the numbering
   */
  int countFrames();

  /** The file of frame {@code k}, {@code 0 <= k < K}; does not check that it exists. */
  Path frameFile(int k);

  /** The folder or file named in reports. */
  Path location();

  /**
   * {@code DIR/<k>.npz}, k = 0..K-1 (0-based, G11). K counts only frame files and requires them to be
   * contiguous ({@link ClipFolder#countFrameFiles}); the original's {@code len(os.listdir)} counted stray
   * files too.
   *
   * @param dir the clip folder
   */
  record FrameFolder(Path dir) implements ClipSource {
    public FrameFolder {
      Objects.requireNonNull(dir, "dir");
    }

    @Override
    public int countFrames() {
      if (!Files.isDirectory(dir)) {
        throw new ClipFaultException(DataFault.Kind.MISSING, dir,
            "clip folder not found; expected <k>.npz frame files in it (check --features and the clip id)", null);
      }
      try {
        return ClipFolder.countFrameFiles(dir);
      } catch (InvalidInputFileException e) {
        throw new ClipFaultException(DataFault.Kind.MISSING, e.path(), e.reason(), e);
      }
    }

    @Override
    public Path frameFile(int k) {
      if (k < 0) {
        throw new IllegalArgumentException("frame index must be >= 0, found " + k);
      }
      return dir.resolve(k + ".npz");
    }

    @Override
    public Path location() {
      return dir;
    }
  }

  /**
   * One image as a 1-frame clip: {@code primary} if it exists, else {@code fallback} (CC3M's
   * {@code <id>_1.npz}, falling back to {@code <id>_0.npz}).
   *
   * @param primary the preferred file
   * @param fallback the file used when {@code primary} does not exist, or null for none
   */
  record SingleImage(Path primary, Path fallback) implements ClipSource {
    public SingleImage {
      Objects.requireNonNull(primary, "primary");
    }

    @Override
    public int countFrames() {
      if (Files.isRegularFile(primary) || (fallback != null && Files.isRegularFile(fallback))) {
        return 1;
      }
      throw new ClipFaultException(DataFault.Kind.MISSING, primary, "image feature file not found"
          + (fallback == null ? "" : ", nor its fallback " + fallback.getFileName()), null);
    }

    @Override
    public Path frameFile(int k) {
      if (k != 0) {
        throw new IllegalArgumentException("an image has the single frame 0, asked for frame " + k);
      }
      return Files.isRegularFile(primary) || fallback == null ? primary : fallback;
    }

    @Override
    public Path location() {
      return primary;
    }
  }
}
