package regionvlp.features;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import regionvlp.data.ClipFaultException;
import regionvlp.data.ClipSource;
import regionvlp.data.DataFault;
import regionvlp.data.FeatureStore;
import regionvlp.data.FrameCheck;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.datasets.Datasets;
import regionvlp.data.datasets.FrameNeed;
import regionvlp.data.datasets.ReadOptions;
import regionvlp.data.datasets.SplitIndex;

/**
 * A retrieval split ready to sample: the clips and captions a {@link SplitIndex} lists, minus the bad ones,
 * with each clip's frame count known. A clip's frames come from its {@link ClipSource}: the npz tree (read
 * and checked by {@link FrameCheck}, then selected by {@link RegionSelector}) or a converted {@link
 * FeatureStore} ({@link SplitIndex#withStore}; rows selected at conversion, bit for bit the same from a
 * float32 store). Both origins go through the same bad-item handling; a clip absent from the store is a
 * {@code missing} fault.
 *
 * <p><b>Bad items</b> (METHOD.md G18: the original silently drew another random sample, or recursed forever)
 * are handled by a {@link BadItems} policy. Opening checks every clip's folder and frame count up front
 * (cheap: directory listings) and takes the metadata rows' faults from the index. Content faults (a
 * truncated or corrupt npz, a wrong feature width, NaN/Inf) show up when a frame is read:
 * <ul>
 *   <li>{@link BadItems.Mode#REFUSE} (evaluation): any bad item is an error that lists them and names
 *       {@code --allow-missing}; a content fault found while encoding aborts the same way.
 *   <li>{@link BadItems.Mode#EXCLUDE} (evaluation with {@code --allow-missing}): the frames the uniform
 *       sampler will read are read once up front, and every bad item is excluded and listed by
 *       {@link #excluded()} for the protocol block.
 *   <li>{@link BadItems.Mode#SKIP} (training): bad items are left out and logged once each; a clip found bad
 *       while a batch is read is reported with {@link #reportBad}, which logs it once and aborts the run when
 *       the bad fraction exceeds {@link BadItems#maxBadFraction()}.
 * </ul>
 */
public final class ClipDataset {

  /**
   * What to do with bad items.
   *
   * @param mode refuse, exclude or skip
   * @param maxBadFraction SKIP only: the largest tolerated share of bad clips (and, separately, of bad caption
   *     rows), in [0, 1]
   * @param log receives one line per bad item (SKIP) and per excluded item (EXCLUDE)
   */
  public record BadItems(Mode mode, double maxBadFraction, Consumer<String> log) {
    /** See {@link ClipDataset}. */
    public enum Mode {
      REFUSE,
      EXCLUDE,
      SKIP
    }

    public BadItems {
      Objects.requireNonNull(mode, "mode");
      if (!(maxBadFraction >= 0 && maxBadFraction <= 1)) {
        throw new IllegalArgumentException("data.maxBadFraction must be in [0, 1], found " + maxBadFraction);
      }
      log = log == null ? s -> { } : log;
    }

    /** Evaluation default: any bad item is an error. */
    public static BadItems refuse() {
      return new BadItems(Mode.REFUSE, 0, null);
    }

    /** Evaluation with {@code --allow-missing}. */
    public static BadItems exclude(Consumer<String> log) {
      return new BadItems(Mode.EXCLUDE, 1, log);
    }

    /** Training: skip, log once each, abort past {@code maxBadFraction}. */
    public static BadItems skip(double maxBadFraction, Consumer<String> log) {
      return new BadItems(Mode.SKIP, maxBadFraction, log);
    }
  }

  private final SplitIndex index;
  private final List<SplitIndex.Video> videos;
  private final List<String> videoIds;
  private final int[] frameCounts;
  private final List<String> captions;
  private final int[] captionToVideo;
  private final int numFrames;
  private final int featureDim;
  private final RegionSelector selector;
  private final BadItems policy;
  private final List<DataFault> excluded;
  private final int totalClips;
  private final Map<Integer, DataFault> discovered = new ConcurrentHashMap<>();

  private ClipDataset(SplitIndex index, int numFrames, int featureDim, int numRegions, FrameNeed need,
      BadItems policy) {
    this.index = index;
    this.numFrames = numFrames;
    this.featureDim = featureDim;
    this.selector = new RegionSelector(numRegions, featureDim);
    this.policy = policy;
    this.totalClips = index.videos().size();
    if (!Files.isDirectory(index.features())) {
      throw new InvalidInputFileException(index.features(),
          (Files.exists(index.features()) ? "expected a directory, found a file" : "features root not found")
              + "; point --features / data.features at the folder holding the clips' frame files");
    }
    checkStores(index, numRegions, featureDim);
    boolean images = index.videos().stream().anyMatch(v -> v.source() instanceof ClipSource.SingleImage);
    if (images && numFrames != 1) {
      throw new IllegalArgumentException(index.dataset() + " clips are single images (1-frame videos):"
          + " set the frame count to 1 (data.numFrames=1 or --frames 1), found " + numFrames);
    }

    // Up front: every clip's frame count, then (EXCLUDE) the frames the uniform sampler will read.
    List<DataFault> faults = new ArrayList<>();
    boolean[] bad = new boolean[totalClips];
    int[] counts = new int[totalClips];
    for (int v = 0; v < totalClips; v++) {
      SplitIndex.Video video = index.videos().get(v);
      DataFault f = null;
      try {
        counts[v] = video.source().countFrames();
        String shortfall = video.source() instanceof ClipSource.SingleImage ? null
            : need.shortfall(counts[v], index.allFramesWhenEqual());
        if (shortfall != null) {
          f = new DataFault(DataFault.Kind.TOO_FEW_FRAMES, video.id(), video.source().location().toString(),
              shortfall);
        } else if (policy.mode() == BadItems.Mode.EXCLUDE) {
          int[] frames = frameIndices(video, counts[v], FrameSampler.uniform(), null);
          float[] scratch = new float[selector.maxRegions() * selector.regionDim()];
          float[] scratchMask = new float[selector.maxRegions()];
          for (int k : frames) {
            readFrame(video.source(), k, scratch, 0, scratchMask, 0);
          }
        }
      } catch (ClipFaultException e) {
        f = e.toFault(video.id());
      }
      if (f != null) {
        bad[v] = true;
        faults.add(f);
      }
    }
    int badClips = faults.size();
    faults.addAll(index.rowFaults());
    if (!faults.isEmpty()) {
      switch (policy.mode()) {
        case REFUSE -> throw new InvalidInputFileException(index.features(), String.format(Locale.ROOT,
            "%d of %d %s %s items cannot be used; evaluation never drops a test item silently: fix them (see"
                + " 'regionvlp data check') or pass --allow-missing to exclude them and list them in the protocol"
                + " block:\n  %s%s", faults.size(), totalClips + index.rowFaults().size(), index.dataset(),
            index.split(), String.join("\n  ", faults.subList(0, Math.min(5, faults.size())).stream()
                .map(DataFault::toString).toList()),
            faults.size() > 5 ? "\n  ... and " + (faults.size() - 5) + " more" : ""));
        case EXCLUDE -> faults.forEach(f -> policy.log().accept("excluded " + f));
        case SKIP -> {
          // Checked before logging: a systematic fault (every clip too short for the faithful sampler, a
          // wrong features root) ends in one message, not one line per clip.
          int rows = index.captions().size() + index.rowFaults().size();
          checkFraction("clips", badClips, totalClips, faults.isEmpty() ? null : faults.get(0));
          checkFraction("caption rows", index.rowFaults().size(), rows,
              index.rowFaults().isEmpty() ? null : index.rowFaults().get(0));
          faults.forEach(f -> policy.log().accept("skipping " + f));
        }
        default -> throw new IllegalStateException();
      }
    }

    // Keep the good clips, and the captions that point at them.
    int[] newIndex = new int[totalClips];
    List<SplitIndex.Video> keptVideos = new ArrayList<>();
    List<Integer> keptCounts = new ArrayList<>();
    for (int v = 0; v < totalClips; v++) {
      newIndex[v] = bad[v] ? -1 : keptVideos.size();
      if (!bad[v]) {
        keptVideos.add(index.videos().get(v));
        keptCounts.add(counts[v]);
      }
    }
    List<String> caps = new ArrayList<>();
    List<Integer> c2v = new ArrayList<>();
    for (SplitIndex.Caption c : index.captions()) {
      if (newIndex[c.video()] >= 0) {
        caps.add(c.text());
        c2v.add(newIndex[c.video()]);
      }
    }
    if (keptVideos.isEmpty()) {
      throw new InvalidInputFileException(index.features(), "no usable clip in " + index.dataset() + " "
          + index.split() + " (" + totalClips + " listed); run 'regionvlp data check' to see why");
    }
    this.videos = List.copyOf(keptVideos);
    this.videoIds = videos.stream().map(SplitIndex.Video::id).toList();
    this.frameCounts = keptCounts.stream().mapToInt(Integer::intValue).toArray();
    this.captions = List.copyOf(caps);
    this.captionToVideo = c2v.stream().mapToInt(Integer::intValue).toArray();
    this.excluded = List.copyOf(faults);
  }

  /**
   * Opens a split whose frames are read from the npz tree.
   *
   * @param index what the dataset reader found
   * @param numFrames F, frames per clip
   * @param featureDim D expected in every frame file
   * @param numRegions R kept per frame
   * @param faithfulSampling whether training uses the original's off-by-one sampler, which needs K >= 2F
   * @param policy what to do with bad items
   */
  public static ClipDataset open(SplitIndex index, int numFrames, int featureDim, int numRegions,
      boolean faithfulSampling, BadItems policy) {
    return new ClipDataset(index, numFrames, featureDim, numRegions, new FrameNeed(numFrames, faithfulSampling),
        policy);
  }

  /**
   * Opens a split in the generic {@code caption<TAB>clip} layout from one table, refusing any bad item.
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
    SplitIndex index = Datasets.reader("folder").read(featuresRoot, meta, new ReadOptions("test", headerSkip, false));
    return open(index, numFrames, featureDim, numRegions, faithfulSampling, BadItems.refuse());
  }

  /**
   * Opens a split in the generic {@code caption<TAB>clip} layout whose clips are read from a feature store
   * (keyed by the clip ids), refusing any bad item, a clip missing from the store included.
   *
   * @param store the open store (owned by the caller)
   * @param meta the caption table
   * @param headerSkip drop the table's first row as the original does (G12)
   * @param numFrames F, frames per clip
   * @param featureDim D the store must hold
   * @param numRegions R read per frame, at most the store's
   * @param faithfulSampling whether training uses the original's off-by-one sampler, which needs K >= 2F
   */
  public static ClipDataset open(FeatureStore store, Path meta, boolean headerSkip, int numFrames,
      int featureDim, int numRegions, boolean faithfulSampling) {
    SplitIndex index = Datasets.reader("folder").read(store.root(), meta, new ReadOptions("test", headerSkip, false))
        .withStore(store);
    return open(index, numFrames, featureDim, numRegions, faithfulSampling, BadItems.refuse());
  }

  /**
   * Refuses a store that cannot give this dataset's rows: another feature width, or fewer regions per frame.
   *
   * @throws InvalidInputFileException naming the store's manifest
   */
  private static void checkStores(SplitIndex index, int numRegions, int featureDim) {
    index.videos().stream().map(SplitIndex.Video::source).filter(ClipSource.Stored.class::isInstance)
        .map(s -> ((ClipSource.Stored) s).store()).distinct().forEach(store -> {
          Path manifest = store.root().resolve(FeatureStore.MANIFEST);
          if (store.featureDim() != featureDim) {
            throw new InvalidInputFileException(manifest, String.format(Locale.ROOT,
                "expected featureDim %d, found %d; check model.video.featureDim", featureDim, store.featureDim()));
          }
          if (store.numRegions() < numRegions) {
            throw new InvalidInputFileException(manifest, String.format(Locale.ROOT,
                "expected at least %d regions per frame (data.numRegions), found %d; re-convert with --regions %d",
                numRegions, store.numRegions(), numRegions));
          }
        });
  }

  /** Where the frames come from, for the protocol block: the npz tree or the store (and its dtype). */
  public String sourceDescription() {
    return videos.get(0).source() instanceof ClipSource.Stored s
        ? "feature store " + s.store().root() + " (" + s.store().dtype().numpyName() + ")"
        : "npz tree " + index.features();
  }

  /** What the reader found, before bad items were taken out. */
  public SplitIndex index() {
    return index;
  }

  /** Items left out when the split was opened (EXCLUDE, SKIP), in clip order then row order. */
  public List<DataFault> excluded() {
    return excluded;
  }

  /** Clips found bad while reading batches (SKIP), in no particular order. */
  public List<DataFault> discoveredBad() {
    return List.copyOf(discovered.values());
  }

  /** Distinct video ids, in the reader's order. */
  public List<String> videoIds() {
    return videoIds;
  }

  /** Number of captions (rows). */
  public int numCaptions() {
    return captions.size();
  }

  /** Number of distinct videos. */
  public int numVideos() {
    return videos.size();
  }

  /** The video index of each caption. */
  public int[] captionToVideo() {
    return captionToVideo.clone();
  }

  /** Caption texts in row order. */
  public List<String> captions() {
    return Collections.unmodifiableList(captions);
  }

  /** F. */
  public int numFrames() {
    return numFrames;
  }

  /** R. */
  public int numRegions() {
    return selector.maxRegions();
  }

  /** D + 6. */
  public int regionDim() {
    return selector.regionDim();
  }

  /** Frames K stored for a video. */
  public int frameCount(int video) {
    return frameCounts[video];
  }

  /** True when clip {@code video} was found bad while reading (SKIP). */
  public boolean isKnownBad(int video) {
    return discovered.containsKey(video);
  }

  /**
   * Records a clip found bad while reading a batch: logs it the first time, and aborts when the share of bad
   * clips (found up front and since) exceeds the policy's maximum.
   *
   * @throws InvalidInputFileException past the maximum, naming the counts and the first fault
   */
  public void reportBad(int video, ClipFaultException e) {
    DataFault f = e.toFault(videoIds.get(video));
    if (discovered.putIfAbsent(video, f) == null) {
      policy.log().accept("skipping " + f);
    }
    int upFront = (int) excluded.stream().filter(x -> !x.kind().isCaptionFault()).count();
    checkFraction("clips", upFront + discovered.size(), totalClips, f);
  }

  private void checkFraction(String what, int bad, int total, DataFault example) {
    if (total > 0 && bad > policy.maxBadFraction() * total) {
      throw new InvalidInputFileException(index.features(), String.format(Locale.ROOT,
          "%d of %d %s %s %s are bad (%.1f%%), more than data.maxBadFraction = %s allows; first: %s. Run"
              + " 'regionvlp data check' for the full list, fix the data, or raise data.maxBadFraction",
          bad, total, index.dataset(), index.split(), what, 100.0 * bad / total, policy.maxBadFraction(), example));
    }
  }

  /**
   * Samples and reads one clip into {@code regions}/{@code mask} at the given offsets.
   *
   * @param regions destination [.., F, R, D+6]
   * @param mask destination [.., F, R]
   * @throws ClipFaultException when a frame file (or the store's frame) is missing, corrupt, of the wrong width
   *     or holds NaN/Inf
   */
  public void readClip(int video, FrameSampler sampler, RandomGenerator rng, float[] regions,
      int regionsOffset, float[] mask, int maskOffset) {
    SplitIndex.Video v = videos.get(video);
    int[] frames = frameIndices(v, frameCounts[video], sampler, rng);
    int rowLen = selector.regionDim() * selector.maxRegions();
    for (int f = 0; f < frames.length; f++) {
      readFrame(v.source(), frames[f], regions, regionsOffset + f * rowLen, mask,
          maskOffset + f * selector.maxRegions());
    }
  }

  /** One frame's {@code [R, D+6]} block and {@code [R]} mask, from the tree (checked, selected) or the store. */
  private void readFrame(ClipSource source, int k, float[] regions, int regionsOffset, float[] mask,
      int maskOffset) {
    if (source instanceof ClipSource.Stored stored) {
      stored.readFrame(k, selector.maxRegions(), regions, regionsOffset, mask, maskOffset);
    } else {
      Path file = source.frameFile(k);
      selector.select(FrameCheck.read(file, featureDim), file, regions, regionsOffset, mask, maskOffset);
    }
  }

  /** METHOD.md 1.5: an image is frame 0; WebVid's K == F uses all frames; otherwise the sampler decides. */
  private int[] frameIndices(SplitIndex.Video v, int k, FrameSampler sampler, RandomGenerator rng) {
    if (v.source() instanceof ClipSource.SingleImage) {
      return new int[] {0};
    }
    if (index.allFramesWhenEqual() && k == numFrames) {
      int[] all = new int[k];
      for (int i = 0; i < k; i++) {
        all[i] = i;
      }
      return all;
    }
    return sampler.sample(k, numFrames, rng);
  }
}
