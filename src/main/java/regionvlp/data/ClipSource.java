package regionvlp.data;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Where the frames of one clip come from: the npz tree (METHOD.md 1.3) — a folder of {@code <k>.npz} files
 * (every video dataset) or one image file (CC3M, an image read as a 1-frame video) — or a clip of a converted
 * {@link FeatureStore}, keyed as the converter keyed it (docs/FEATURE-STORE.md).
 *
 * <p>Every failure is a {@link ClipFaultException} with its {@link DataFault.Kind}, so the dataset's bad-item
 * policy (skip, exclude, refuse) treats both origins alike: a clip absent from its folder or from the store is
 * {@code MISSING}. Frames of a folder or image are read and checked by {@link FrameCheck} from {@link
 * #frameFile}; frames of a store come already selected ({@link Stored#readFrame}).
 */
public sealed interface ClipSource permits ClipSource.FrameFolder, ClipSource.SingleImage, ClipSource.Stored {

  /**
   * K, the number of frames the clip has.
   *
   * @throws ClipFaultException ({@link DataFault.Kind#MISSING}) when the folder or file is absent or a frame
   *     file is missing from the numbering
   */
  int countFrames();

  /**
   * The file of frame {@code k}, {@code 0 <= k < K}; does not check that it exists.
   *
   * @throws UnsupportedOperationException for a {@link Stored} clip, which has no frame files
   */
  Path frameFile(int k);

  /** The folder or file named in reports (for a store: its folder). */
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

  /**
   * A clip of a feature store. Its frames hold the converter's region selection ({@code [R, D+6]} rows and
   * the mask); the store's feature width and R are checked once per dataset, not per clip.
   *
   * @param store the open store (owned by the caller)
   * @param key the clip's key: its folder relative to the features root, {@code /}-separated, or an image
   *     file's relative path without {@code .npz}
   */
  record Stored(FeatureStore store, String key) implements ClipSource {
    public Stored {
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(key, "key");
    }

    @Override
    public int countFrames() {
      return store.frameCount(index());
    }

    @Override
    public Path frameFile(int k) {
      throw new UnsupportedOperationException("clip '" + key + "' of " + store.root() + " has no frame files");
    }

    @Override
    public Path location() {
      return store.root();
    }

    /**
     * Copies frame {@code k}'s first {@code numRegions} rows and mask ({@link FeatureStore#readFrame}) and
     * checks that they are finite (a float16 store saturates to Inf above 65504).
     *
     * @throws ClipFaultException {@code MISSING} when the store lacks the clip, {@code CORRUPT} when the store
     *     cannot give the frame, {@code NON_FINITE} for NaN/Inf
     */
    public void readFrame(int k, int numRegions, float[] regions, int regionsOffset, float[] mask, int maskOffset) {
      int clip = index();
      try {
        store.readFrame(clip, k, numRegions, regions, regionsOffset, mask, maskOffset);
      } catch (InvalidInputFileException e) {
        throw new ClipFaultException(DataFault.Kind.CORRUPT, e.path(), "clip '" + key + "' frame " + k + ": "
            + e.reason(), e);
      } catch (UncheckedIOException e) {
        throw new ClipFaultException(DataFault.Kind.CORRUPT, store.root(), "clip '" + key + "' frame " + k
            + ": unreadable: " + e.getMessage(), e);
      }
      int length = numRegions * store.regionDim();
      for (int i = 0; i < length; i++) {
        if (!Float.isFinite(regions[regionsOffset + i])) {
          throw new ClipFaultException(DataFault.Kind.NON_FINITE, store.root(), String.format(Locale.ROOT,
              "clip '%s' frame %d: expected finite values, found %s at region %d, column %d", key, k,
              regions[regionsOffset + i], i / store.regionDim(), i % store.regionDim()), null);
        }
      }
    }

    private int index() {
      int c = store.indexOf(key);
      if (c < 0) {
        throw new ClipFaultException(DataFault.Kind.MISSING, store.root(), String.format(Locale.ROOT,
            "clip '%s' is not in the store (%d clips, keys as in clips.txt); convert a feature tree that holds"
                + " it, or check the clip ids of the metadata", key, store.numClips()), null);
      }
      return c;
    }
  }
}
