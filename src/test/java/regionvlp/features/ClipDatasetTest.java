package regionvlp.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.ClipSource;
import regionvlp.data.DataFault;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.datasets.Datasets;
import regionvlp.data.datasets.FaultyCorpus;
import regionvlp.data.datasets.ReadOptions;
import regionvlp.data.datasets.SplitIndex;
import regionvlp.text.TokenizedCaptions;

/** Bad-item policies on {@link FaultyCorpus}, and the frame rules for WebVid clips and CC3M images. */
class ClipDatasetTest {
  @TempDir static Path dir;
  static SplitIndex index;

  @BeforeAll
  static void build() {
    FaultyCorpus.build(dir, 16);
    index = Datasets.reader("folder").read(dir.resolve("features"), dir.resolve("captions.tsv"),
        ReadOptions.of("train"));
  }

  @Test
  void evaluationRefusesBadItemsAndNamesAllowMissing() {
    assertThatThrownBy(() -> ClipDataset.open(index, 4, 16, 5, false, ClipDataset.BadItems.refuse()))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("5 of 20 folder train items cannot be used")
        .hasMessageContaining("--allow-missing").hasMessageContaining("c13").hasMessageContaining("c17")
        .hasMessageContaining("captions.tsv:19");
  }

  @Test
  void allowMissingExcludesEveryBadItemAndListsIt() {
    List<String> log = new ArrayList<>();
    ClipDataset ds = ClipDataset.open(index, 4, 16, 5, false, ClipDataset.BadItems.exclude(log::add));
    assertThat(ds.numVideos()).isEqualTo(FaultyCorpus.GOOD);
    assertThat(ds.numCaptions()).isEqualTo(FaultyCorpus.GOOD);
    assertThat(ds.excluded()).extracting(DataFault::id)
        .containsExactly("c12", "c13", "c14", "c15", "c16", "c17", "c18", "c19");
    assertThat(ds.excluded()).extracting(DataFault::kind).containsExactly(DataFault.Kind.CORRUPT,
        DataFault.Kind.MISSING, DataFault.Kind.WRONG_DIM, DataFault.Kind.NON_FINITE, DataFault.Kind.TOO_FEW_FRAMES,
        DataFault.Kind.MISSING, DataFault.Kind.NON_UTF8_CAPTION, DataFault.Kind.EMPTY_CAPTION);
    assertThat(log).hasSize(8).allMatch(l -> l.startsWith("excluded "));
    assertThat(ds.videoIds()).doesNotContain("c12", "c18");
  }

  @Test
  void trainingSkipsBadClipsLogsEachOnceAndKeepsBatchesDeterministic() {
    List<String> log1 = new ArrayList<>();
    ClipDataset ds1 = ClipDataset.open(index, 4, 16, 5, false, ClipDataset.BadItems.skip(0.5, log1::add));
    // Up front: c13 (gap), c16 (3 frames), c17 (no folder) and the two bad rows. c12, c14, c15 read badly later.
    assertThat(ds1.numVideos()).isEqualTo(15);
    assertThat(log1).hasSize(5);
    ClipDataset ds2 = ClipDataset.open(index, 4, 16, 5, false, ClipDataset.BadItems.skip(0.5, s -> { }));
    Set<Integer> bad = new HashSet<>();
    for (int v = 0; v < ds1.numVideos(); v++) {
      if (List.of("c12", "c14", "c15").contains(ds1.videoIds().get(v))) {
        bad.add(v);
      }
    }
    TokenizedCaptions tok = captionIndexTokens(ds1.numCaptions());
    try (TrainBatches one = new TrainBatches(ds1, tok, 4, FrameSampler.rand(), 7, 1);
        TrainBatches two = new TrainBatches(ds2, tok, 4, FrameSampler.rand(), 7, 2)) {
      for (int epoch = 0; epoch < 4; epoch++) {
        Iterator<HostBatch> a = one.epoch(epoch, 0);
        Iterator<HostBatch> b = two.epoch(epoch, 0);
        while (a.hasNext()) {
          HostBatch x = a.next();
          HostBatch y = b.next();
          assertThat(x.regions()).as("epoch %d, same batches whatever the threads", epoch).isEqualTo(y.regions());
          assertThat(x.ids()).isEqualTo(y.ids());
          Set<Long> videos = new HashSet<>();
          for (long caption : x.ids()) {
            int video = ds1.captionToVideo()[(int) caption];
            assertThat(bad).as("a bad clip in a batch").doesNotContain(video);
            videos.add(caption);
          }
          assertThat(videos).as("no clip twice in a batch").hasSize(4);
          for (float f : x.regions()) {
            assertThat(Float.isFinite(f)).isTrue();
          }
        }
      }
    }
    assertThat(ds1.discoveredBad()).extracting(DataFault::id).containsExactlyInAnyOrder("c12", "c14", "c15");
    assertThat(log1.stream().filter(l -> l.contains("c12")).count()).as("logged once").isEqualTo(1);
  }

  @Test
  void trainingAbortsPastTheBadFraction() {
    assertThatThrownBy(() -> ClipDataset.open(index, 4, 16, 5, false, ClipDataset.BadItems.skip(0.1, s -> { })))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("3 of 18 folder train clips are bad (16.7%)")
        .hasMessageContaining("data.maxBadFraction = 0.1");
    ClipDataset ds = ClipDataset.open(index, 4, 16, 5, false, ClipDataset.BadItems.skip(0.25, s -> { }));
    TokenizedCaptions tok = captionIndexTokens(ds.numCaptions());
    // Reading clips finds c12, c14, c15 too: 6 of 18 > 25% aborts the run with the counts.
    assertThatThrownBy(() -> {
      try (TrainBatches t = new TrainBatches(ds, tok, 4, FrameSampler.rand(), 7, 1)) {
        for (int e = 0; e < 10; e++) {
          t.epoch(e, 0).forEachRemaining(x -> { });
        }
      }
    }).isInstanceOf(InvalidInputFileException.class).hasMessageContaining("5 of 18 folder train clips are bad");
  }

  @Test
  void webvidUsesAllFramesWhenKEqualsFEvenUnderTheFaithfulSampler() {
    Path clip = dir.resolve("features/c00"); // 16 frames
    SplitIndex webvid = single("webvid", new ClipSource.FrameFolder(clip), true);
    ClipDataset ds = ClipDataset.open(webvid, 16, 16, 5, true, ClipDataset.BadItems.refuse());
    ClipDataset uniform = ClipDataset.open(webvid, 16, 16, 5, false, ClipDataset.BadItems.refuse());
    float[] a = new float[16 * 5 * 22];
    float[] b = new float[16 * 5 * 22];
    ds.readClip(0, FrameSampler.randFaithful(), new SplittableRandom(1), a, 0, new float[16 * 5], 0);
    uniform.readClip(0, FrameSampler.uniform(), null, b, 0, new float[16 * 5], 0);
    assertThat(a).isEqualTo(b); // frames 0..15 both ways
    // Another dataset with K = F = 16 under the faithful sampler: refused up front, with the reason.
    SplitIndex other = single("didemo", new ClipSource.FrameFolder(clip), false);
    assertThatThrownBy(() -> ClipDataset.open(other, 16, 16, 5, true, ClipDataset.BadItems.refuse()))
        .hasMessageContaining("16 frames, fewer than the 32 needed to sample 16 with the faithful random sampler")
        .hasMessageContaining("G9");
  }

  @Test
  void anImageIsOneFrameAndNeedsOneFrameSampled() {
    Path file = dir.resolve("features/c01/0.npz");
    SplitIndex cc3m = single("cc3m", new ClipSource.SingleImage(dir.resolve("nope_1.npz"), file), false);
    ClipDataset ds = ClipDataset.open(cc3m, 1, 16, 5, true, ClipDataset.BadItems.refuse());
    float[] a = new float[5 * 22];
    float[] b = new float[5 * 22];
    ds.readClip(0, FrameSampler.randFaithful(), new SplittableRandom(3), a, 0, new float[5], 0);
    new RegionSelector(5, 16).select(regionvlp.data.BottomUpNpz.read(file), file, b, 0, new float[5], 0);
    assertThat(a).isEqualTo(b);
    assertThatThrownBy(() -> ClipDataset.open(cc3m, 8, 16, 5, false, ClipDataset.BadItems.refuse()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("set the frame count to 1");
  }

  static SplitIndex single(String dataset, ClipSource source, boolean allFramesWhenEqual) {
    return new SplitIndex(dataset, "train", dir.resolve("features"), List.of(),
        List.of(new SplitIndex.Video("x", source)), List.of(new SplitIndex.Caption("a caption", 0, "test")),
        List.of(), Map.of(), allFramesWhenEqual);
  }

  /** Caption i is the single token i, so a batch's ids name its captions. */
  static TokenizedCaptions captionIndexTokens(int n) {
    long[] ids = new long[n];
    long[] mask = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = i;
      mask[i] = 1;
    }
    return new TokenizedCaptions(n, 1, ids, mask);
  }
}
