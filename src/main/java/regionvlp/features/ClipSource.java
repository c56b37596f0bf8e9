package regionvlp.features;

import java.nio.file.Path;
import java.util.Locale;
import regionvlp.data.BottomUpNpz;
import regionvlp.data.ClipFolder;
import regionvlp.data.FeatureStore;
import regionvlp.data.FrameFeatures;
import regionvlp.data.InvalidInputFileException;

/**
 * Where a split's clips come from: the raw {@code FEATURES/<video_id>/<k>.npz} tree, read and selected per
 * frame ({@link BottomUpNpz} then {@link RegionSelector}), or a converted {@link FeatureStore}, whose rows
 * were selected at conversion. Both give the same {@code [R, D+6]} block and {@code [R]} mask for a frame
 * (bit for bit from a float32 store), so training and evaluation can read either.
 *
 * <p>Implementations are thread-safe: the batch loader reads from several threads.
 */
public interface ClipSource {
  /** The features root or the store folder, named in messages. */
  Path root();

  /** R, region slots per frame. */
  int numRegions();

  /** {@code D + 6}. */
  int regionDim();

  /**
   * K, the frames stored for a clip.
   *
   * @throws InvalidInputFileException when the clip is missing or unusable, naming where it was looked for
   */
  int countFrames(String videoId);

  /** Where a clip lives, for messages: its folder, or the store and key. */
  String where(String videoId);

  /**
   * Writes frame {@code frame} of a clip: {@code R * (D+6)} floats and {@code R} mask values.
   *
   * @throws InvalidInputFileException for a missing or corrupt frame
   */
  void readFrame(String videoId, int frame, float[] regions, int regionsOffset, float[] mask, int maskOffset);

  /** The raw tree: one {@code .npz} per frame, selected on every read. */
  static ClipSource npzTree(Path featuresRoot, RegionSelector selector) {
    ClipFolder folder = new ClipFolder(featuresRoot);
    return new ClipSource() {
      @Override
      public Path root() {
        return featuresRoot;
      }

      @Override
      public int numRegions() {
        return selector.maxRegions();
      }

      @Override
      public int regionDim() {
        return selector.regionDim();
      }

      @Override
      public int countFrames(String videoId) {
        return folder.countFrames(videoId);
      }

      @Override
      public String where(String videoId) {
        return folder.clipDir(videoId).toString();
      }

      @Override
      public void readFrame(String videoId, int frame, float[] regions, int regionsOffset, float[] mask,
          int maskOffset) {
        Path file = folder.frameFile(videoId, frame);
        FrameFeatures f = BottomUpNpz.read(file);
        selector.select(f, file, regions, regionsOffset, mask, maskOffset);
      }

      @Override
      public String toString() {
        return "npz tree " + featuresRoot;
      }
    };
  }

  /**
   * A converted store, read with the selector's R (at most the stored R) and checked against its D.
   *
   * @throws InvalidInputFileException when the store's feature dim differs or it keeps fewer regions
   */
  static ClipSource store(FeatureStore store, RegionSelector selector) {
    Path manifest = store.root().resolve(FeatureStore.MANIFEST);
    if (store.featureDim() != selector.featureDim()) {
      throw new InvalidInputFileException(manifest, String.format(Locale.ROOT,
          "expected featureDim %d, found %d; check model.video.featureDim", selector.featureDim(),
          store.featureDim()));
    }
    if (store.numRegions() < selector.maxRegions()) {
      throw new InvalidInputFileException(manifest, String.format(Locale.ROOT,
          "expected at least %d regions per frame (data.numRegions), found %d; re-convert with --regions %d",
          selector.maxRegions(), store.numRegions(), selector.maxRegions()));
    }
    int numRegions = selector.maxRegions();
    return new ClipSource() {
      @Override
      public Path root() {
        return store.root();
      }

      @Override
      public int numRegions() {
        return numRegions;
      }

      @Override
      public int regionDim() {
        return selector.regionDim();
      }

      @Override
      public int countFrames(String videoId) {
        return store.frameCount(clip(videoId));
      }

      @Override
      public String where(String videoId) {
        return store.root() + " (clip '" + videoId + "')";
      }

      @Override
      public void readFrame(String videoId, int frame, float[] regions, int regionsOffset, float[] mask,
          int maskOffset) {
        store.readFrame(clip(videoId), frame, numRegions, regions, regionsOffset, mask, maskOffset);
      }

      private int clip(String videoId) {
        int c = store.indexOf(videoId);
        if (c < 0) {
          throw new InvalidInputFileException(store.root(), String.format(Locale.ROOT,
              "clip '%s' is not in the store (%d clips, keys as in clips.txt); convert a feature tree that"
                  + " holds it, or check the video id column of the caption table",
              videoId, store.numClips()));
        }
        return c;
      }

      @Override
      public String toString() {
        return "feature store " + store.root() + " (" + store.dtype().numpyName() + ")";
      }
    };
  }
}
