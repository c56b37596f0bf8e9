package regionvlp.features;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import regionvlp.data.CaptionTable;
import regionvlp.data.InvalidInputFileException;

/**
 * A retrieval split in the generic layout: a headerless {@code caption<TAB>video_id} table plus the clips'
 * frames, from {@code FEATURES/<video_id>/<k>.npz} files (DiDeMo's layout, which SynthVid writes too) or
 * from a converted feature store keyed by the same video ids ({@link ClipSource}).
 *
 * <p>Opening it checks up front that every video's clip exists (its folder, or its key in the store) and has
 * enough frames for the requested sampling, and fails with the list of offenders, instead of discovering a
 * short clip in the middle of a run (the original retried random items forever, METHOD.md G18).
 */
public final class ClipDataset {
  private final CaptionTable table;
  private final ClipSource source;
  private final List<String> videoIds;
  private final int[] frameCounts;
  private final int[] captionToVideo;
  private final int numFrames;

  private ClipDataset(CaptionTable table, ClipSource source, int numFrames, int minFramesPerClip) {
    this.table = table;
    this.source = source;
    this.videoIds = table.distinctVideoIds();
    this.captionToVideo = table.captionToVideo();
    this.numFrames = numFrames;
    this.frameCounts = new int[videoIds.size()];
    List<String> problems = new ArrayList<>();
    int shortClips = 0;
    for (int v = 0; v < videoIds.size(); v++) {
      String id = videoIds.get(v);
      try {
        frameCounts[v] = source.countFrames(id);
      } catch (InvalidInputFileException | IllegalArgumentException e) {
        problems.add(e.getMessage());
        continue;
      }
      if (frameCounts[v] < minFramesPerClip) {
        shortClips++;
        problems.add(String.format(Locale.ROOT, "%s: %d frames, fewer than the %d needed to sample %d",
            source.where(id), frameCounts[v], minFramesPerClip, numFrames));
      }
    }
    if (!problems.isEmpty()) {
      String first = String.join("\n  ", problems.subList(0, Math.min(5, problems.size())));
      throw new InvalidInputFileException(source.root(), String.format(Locale.ROOT,
          "%d of %d clips listed in %s cannot be used (%d too short):\n  %s%s", problems.size(),
          videoIds.size(), table.source(), shortClips, first,
          problems.size() > 5 ? "\n  ... and " + (problems.size() - 5) + " more" : ""));
    }
  }

  /**
   * Opens a split whose frames are read from the npz tree.
   *
   * @param featuresRoot the FEATURES folder
   * @param meta the caption table
   * @param headerSkip drop the table's first row as the original does (G12)
   * @param numFrames F, frames per clip
   * @param featureDim D expected in every frame file
   * @param numRegions R kept per frame
   * @param faithfulSampling whether training uses the original's off-by-one sampler, which needs K >= 2F
   */
  public static ClipDataset open(Path featuresRoot, Path meta, boolean headerSkip, int numFrames,
      int featureDim, int numRegions, boolean faithfulSampling) {
    return open(ClipSource.npzTree(featuresRoot, new RegionSelector(numRegions, featureDim)), meta, headerSkip,
        numFrames, faithfulSampling);
  }

  /**
   * Opens a split whose frames come from {@code source} (the npz tree or a feature store).
   *
   * @param faithfulSampling whether training uses the original's off-by-one sampler, which needs K >= 2F
   */
  public static ClipDataset open(ClipSource source, Path meta, boolean headerSkip, int numFrames,
      boolean faithfulSampling) {
    CaptionTable table = CaptionTable.read(meta, headerSkip);
    int minFrames = faithfulSampling ? 2 * numFrames : numFrames;
    return new ClipDataset(table, source, numFrames, minFrames);
  }

  /** Where the frames come from. */
  public ClipSource source() {
    return source;
  }

  /** Distinct video ids, in first-appearance order. */
  public List<String> videoIds() {
    return videoIds;
  }

  /** Number of captions (rows). */
  public int numCaptions() {
    return table.size();
  }

  /** Number of distinct videos. */
  public int numVideos() {
    return videoIds.size();
  }

  /** The video index of each caption. */
  public int[] captionToVideo() {
    return captionToVideo.clone();
  }

  /** Caption texts in row order. */
  public List<String> captions() {
    List<String> out = new ArrayList<>(table.size());
    for (CaptionTable.Row r : table.rows()) {
      out.add(r.caption());
    }
    return out;
  }

  /** F. */
  public int numFrames() {
    return numFrames;
  }

  /** R. */
  public int numRegions() {
    return source.numRegions();
  }

  /** D + 6. */
  public int regionDim() {
    return source.regionDim();
  }

  /** Frames K stored for a video. */
  public int frameCount(int video) {
    return frameCounts[video];
  }

  /**
   * Samples and reads one clip into {@code regions}/{@code mask} at the given offsets.
   *
   * @param regions destination [.., F, R, D+6]
   * @param mask destination [.., F, R]
   */
  public void readClip(int video, FrameSampler sampler, RandomGenerator rng, float[] regions,
      int regionsOffset, float[] mask, int maskOffset) {
    int[] frames = sampler.sample(frameCounts[video], numFrames, rng);
    int slots = source.numRegions();
    int rowLen = source.regionDim() * slots;
    for (int f = 0; f < frames.length; f++) {
      source.readFrame(videoIds.get(video), frames[f], regions, regionsOffset + f * rowLen, mask,
          maskOffset + f * slots);
    }
  }
}
