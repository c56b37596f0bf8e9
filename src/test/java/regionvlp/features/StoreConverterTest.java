package regionvlp.features;

import static org.assertj.core.api.Assertions.assertThat;
import static regionvlp.TestFiles.copyTree;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.BottomUpNpz;
import regionvlp.data.ClipFaultException;
import regionvlp.data.ClipSource;
import regionvlp.data.DataFault;
import regionvlp.data.FeatureStore;
import regionvlp.data.FeatureStoreManifest;
import regionvlp.data.FrameFeatures;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.datasets.Datasets;
import regionvlp.data.datasets.ReadOptions;
import regionvlp.data.datasets.SplitIndex;
import regionvlp.data.synth.SynthConfig;
import regionvlp.data.synth.SynthVid;

/**
 * A SynthVid corpus (real .npz frames with pickled info dicts) converted to a store and read back: a
 * float32 store gives the same clips as the tree bit for bit, through {@link ClipDataset} with both
 * samplers; a float16 store is within half-precision rounding. Plus CC3M-style one-frame images and the
 * bad-clip paths.
 */
class StoreConverterTest {
  @TempDir static Path dir;
  static Path data;
  static Path features;
  static Path fp32;
  static StoreConverter.Report fp32Report;
  static final int D = 16;
  static final int R = 30;

  @BeforeAll
  static void corpus() throws IOException {
    data = dir.resolve("data");
    SynthVid.generate(SynthConfig.defaults().withSeed(5).withTrainVideos(8).withValVideos(0).withTestVideos(4)
        .withFeatureDim(D).withThreads(2), data, SynthVid.Progress.none());
    features = data.resolve("features");
    // Two CC3M-style images (one .npz per image, in a bucket folder), copied from real frames.
    Path bucket = Files.createDirectories(features.resolve("cc3m").resolve("0000"));
    Files.copy(features.resolve("train_000001").resolve("3.npz"), bucket.resolve("12_abcdef_1.npz"));
    Files.copy(features.resolve("test_000002").resolve("0.npz"), bucket.resolve("13_fedcba_0.npz"));
    fp32 = dir.resolve("fp32");
    fp32Report = StoreConverter.convert(features, fp32, options(FeatureStore.DType.FLOAT32), l -> { }, (d, t) -> { });
  }

  static StoreConverter.Options options(FeatureStore.DType dtype) {
    return new StoreConverter.Options(dtype, R, 0, 256 << 10, 2, false);
  }

  @Test
  void aFloat32StoreGivesEveryFrameOfTheTreeBitForBit() {
    Path store = fp32;
    StoreConverter.Report r = fp32Report;
    assertThat(r.manifest().numClips()).isEqualTo(8 + 4 + 2);
    assertThat(r.manifest().shards()).hasSizeGreaterThan(1); // 256 KiB shards: the corpus spans several
    RegionSelector selector = new RegionSelector(R, D);
    int row = R * (D + 6);
    try (FeatureStore s = FeatureStore.open(store)) {
      assertThat(s.featureDim()).isEqualTo(D);
      for (String key : List.of("train_000000", "train_000007", "test_000003")) {
        int c = s.indexOf(key);
        assertThat(s.frameCount(c)).isEqualTo(16);
        for (int f = 0; f < 16; f++) {
          Path file = features.resolve(key).resolve(f + ".npz");
          float[] expected = new float[row];
          float[] expectedMask = new float[R];
          selector.select(BottomUpNpz.read(file), file, expected, 0, expectedMask, 0);
          float[] got = new float[row];
          float[] mask = new float[R];
          s.readFrame(c, f, R, got, 0, mask, 0);
          assertThat(got).as("%s frame %d", key, f).isEqualTo(expected);
          assertThat(mask).as("%s frame %d mask", key, f).isEqualTo(expectedMask);
        }
      }
      int image = s.indexOf("cc3m/0000/12_abcdef_1");
      assertThat(image).isNotNegative();
      assertThat(s.frameCount(image)).isEqualTo(1);
      assertThat(s.indexOf("cc3m/0000/13_fedcba_0")).isNotNegative();
      Path file = features.resolve("train_000001").resolve("3.npz");
      float[] expected = new float[row];
      selector.select(BottomUpNpz.read(file), file, expected, 0, new float[R], 0);
      float[] got = new float[row];
      s.readFrame(image, 0, R, got, 0, new float[R], 0);
      assertThat(got).isEqualTo(expected);
    }
  }

  @Test
  void clipDatasetReadsTheSameClipsFromTheStoreAndTheTree() {
    try (FeatureStore s = FeatureStore.open(fp32)) {
      for (int frames : new int[] {1, 8}) {
        ClipDataset tree = ClipDataset.open(features, data.resolve("train.tsv"), false, frames, D, R, false);
        ClipDataset fromStore = ClipDataset.open(s, data.resolve("train.tsv"), false, frames, D, R, false);
        assertThat(fromStore.videoIds()).isEqualTo(tree.videoIds());
        int size = frames * R * (D + 6);
        for (FrameSampler sampler : List.of(FrameSampler.uniform(), FrameSampler.rand(), FrameSampler.randFaithful())) {
          for (int v = 0; v < tree.numVideos(); v++) {
            float[] a = new float[size];
            float[] am = new float[frames * R];
            float[] b = new float[size];
            float[] bm = new float[frames * R];
            tree.readClip(v, sampler, new SplittableRandom(v), a, 0, am, 0);
            fromStore.readClip(v, sampler, new SplittableRandom(v), b, 0, bm, 0);
            assertThat(b).as("%s, %d frames, video %d", sampler, frames, v).isEqualTo(a);
            assertThat(bm).isEqualTo(am);
          }
        }
      }
    }
  }

  @Test
  void aFloat16StoreIsWithinHalfPrecisionRounding() {
    Path store = dir.resolve("fp16");
    StoreConverter.Report r = StoreConverter.convert(features, store, options(FeatureStore.DType.FLOAT16), l -> { },
        (d, t) -> { });
    assertThat(r.manifest().dtype()).isEqualTo(FeatureStore.DType.FLOAT16);
    ClipDataset tree = ClipDataset.open(features, data.resolve("test.tsv"), false, 8, D, R, false);
    try (FeatureStore s = FeatureStore.open(store)) {
      ClipDataset half = ClipDataset.open(s, data.resolve("test.tsv"), false, 8, D, R, false);
      int size = 8 * R * (D + 6);
      int changed = 0;
      for (int v = 0; v < tree.numVideos(); v++) {
        float[] a = new float[size];
        float[] am = new float[8 * R];
        float[] b = new float[size];
        float[] bm = new float[8 * R];
        tree.readClip(v, FrameSampler.uniform(), null, a, 0, am, 0);
        half.readClip(v, FrameSampler.uniform(), null, b, 0, bm, 0);
        assertThat(bm).isEqualTo(am);
        for (int i = 0; i < size; i++) {
          // Round to nearest in binary16: relative error <= 2^-11 for normals, absolute <= 2^-25 below 2^-14.
          double bound = Math.max(Math.abs(a[i]) * 0x1p-11, 0x1p-25);
          assertThat((double) Math.abs(b[i] - a[i])).as("video %d value %d: %s vs %s", v, i, b[i], a[i])
              .isLessThanOrEqualTo(bound);
          changed += b[i] != a[i] ? 1 : 0;
        }
      }
      assertThat(changed).as("half precision must round some values").isPositive();
    }
  }

  @Test
  void aStoreWithAnotherFeatureDimOrTooFewRegionsIsRefused() {
    try (FeatureStore s = FeatureStore.open(fp32)) {
      assertThatThrownBy(() -> ClipDataset.open(s, data.resolve("train.tsv"), false, 1, D, 31, false))
          .isInstanceOf(InvalidInputFileException.class).hasMessageContaining("expected at least 31 regions")
          .hasMessageContaining("found 30");
      assertThatThrownBy(() -> ClipDataset.open(s, data.resolve("train.tsv"), false, 1, 32, 10, false))
          .isInstanceOf(InvalidInputFileException.class).hasMessageContaining("expected featureDim 32, found 16");
      // R=8 from an R=30 store equals selecting 8 from the tree.
      ClipSource.Stored eight = new ClipSource.Stored(s, "train_000004");
      Path file = features.resolve("train_000004").resolve("7.npz");
      float[] expected = new float[8 * (D + 6)];
      float[] expectedMask = new float[8];
      new RegionSelector(8, D).select(BottomUpNpz.read(file), file, expected, 0, expectedMask, 0);
      float[] got = new float[expected.length];
      float[] mask = new float[8];
      eight.readFrame(7, 8, got, 0, mask, 0);
      assertThat(got).isEqualTo(expected);
      assertThat(mask).isEqualTo(expectedMask);
      assertThatThrownBy(() -> new ClipSource.Stored(s, "no_such_video").countFrames())
          .isInstanceOf(ClipFaultException.class).hasMessageContaining("clip 'no_such_video' is not in the store")
          .extracting(e -> ((ClipFaultException) e).kind()).isEqualTo(DataFault.Kind.MISSING);
    }
  }

  @Test
  void aClipMissingFromTheStoreIsAMissingFaultUnderEveryPolicy() throws IOException {
    // The test split plus a caption of a clip the store never saw.
    Path meta = dir.resolve("test-plus-absent.tsv");
    String table = Files.readString(data.resolve("test.tsv"));
    Files.writeString(meta, table + (table.endsWith("\n") ? "" : "\n") + "a clip nobody converted\tabsent_clip\n");
    try (FeatureStore s = FeatureStore.open(fp32)) {
      assertThatThrownBy(() -> ClipDataset.open(s, meta, false, 8, D, R, false))
          .isInstanceOf(InvalidInputFileException.class).hasMessageContaining("missing absent_clip")
          .hasMessageContaining("clip 'absent_clip' is not in the store").hasMessageContaining("--allow-missing");
      SplitIndex index = Datasets.reader("folder").read(s.root(), meta, new ReadOptions("test", false, false))
          .withStore(s);
      List<String> log = new ArrayList<>();
      ClipDataset excluded = ClipDataset.open(index, 8, D, R, false, ClipDataset.BadItems.exclude(log::add));
      assertThat(excluded.excluded()).extracting(DataFault::kind, DataFault::id)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(DataFault.Kind.MISSING, "absent_clip"));
      assertThat(excluded.numVideos()).isEqualTo(4);
      assertThat(log).singleElement().asString().startsWith("excluded missing absent_clip");
      // Training skips it below data.maxBadFraction (1 of 5 clips) and aborts above it.
      assertThat(ClipDataset.open(index, 8, D, R, false, ClipDataset.BadItems.skip(0.2, l -> { })).numVideos())
          .isEqualTo(4);
      assertThatThrownBy(() -> ClipDataset.open(index, 8, D, R, false, ClipDataset.BadItems.skip(0.1, l -> { })))
          .isInstanceOf(InvalidInputFileException.class).hasMessageContaining("1 of 5");
      // The clips that are there read as the tree's.
      ClipDataset tree = ClipDataset.open(features, data.resolve("test.tsv"), false, 8, D, R, false);
      assertThat(excluded.videoIds()).isEqualTo(tree.videoIds());
      float[] a = new float[8 * R * (D + 6)];
      float[] b = new float[a.length];
      tree.readClip(3, FrameSampler.uniform(), null, a, 0, new float[8 * R], 0);
      excluded.readClip(3, FrameSampler.uniform(), null, b, 0, new float[8 * R], 0);
      assertThat(b).isEqualTo(a);
    }
  }

  @Test
  void badClipsStopTheConversionNamingTheFileOrAreSkipped() throws IOException {
    Path tree = dir.resolve("bad");
    copyTree(features, tree);
    Path truncated = tree.resolve("train_000003").resolve("5.npz");
    try (RandomAccessFile f = new RandomAccessFile(truncated.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }
    Files.delete(tree.resolve("test_000001").resolve("4.npz")); // a gap in the numbering

    assertThatThrownBy(() -> StoreConverter.convert(tree, dir.resolve("bad-store"), options(FeatureStore.DType.FLOAT32),
        l -> { }, (d, t) -> { })).isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("test_000001").hasMessageContaining("4.npz is missing")
        .hasMessageContaining("--skip-bad");
    Files.copy(features.resolve("test_000001").resolve("4.npz"), tree.resolve("test_000001").resolve("4.npz"));
    assertThatThrownBy(() -> StoreConverter.convert(tree, dir.resolve("bad-store2"),
        options(FeatureStore.DType.FLOAT32), l -> { }, (d, t) -> { }))
        .isInstanceOf(InvalidInputFileException.class).hasMessageContaining(truncated.toString());
    Files.delete(tree.resolve("test_000001").resolve("4.npz"));

    List<String> log = new ArrayList<>();
    StoreConverter.Report r = StoreConverter.convert(tree, dir.resolve("skip-store"),
        new StoreConverter.Options(FeatureStore.DType.FLOAT32, R, 0, 1 << 20, 2, true), log::add, (d, t) -> { });
    FeatureStoreManifest m = r.manifest();
    assertThat(m.skipped()).extracting(FeatureStoreManifest.Skipped::key)
        .containsExactly("test_000001", "train_000003");
    assertThat(m.skipped().get(1).reason()).contains(truncated.toString());
    assertThat(m.numClips()).isEqualTo(14 - 2);
    assertThat(log).anyMatch(l -> l.contains("skipping train_000003"));
    try (FeatureStore s = FeatureStore.open(dir.resolve("skip-store"), FeatureStore.Verify.ALWAYS, l -> { })) {
      assertThat(s.indexOf("train_000003")).isEqualTo(-1);
      assertThat(s.indexOf("train_000004")).isNotNegative();
    }
  }

  @Test
  void aWrongFeatureDimIsNamedWithTheFile() {
    assertThatThrownBy(() -> StoreConverter.convert(features, dir.resolve("dim"),
        new StoreConverter.Options(FeatureStore.DType.FLOAT32, R, 24, 1 << 20, 1, false), l -> { }, (d, t) -> { }))
        .isInstanceOf(InvalidInputFileException.class).hasMessageContaining(".npz")
        .hasMessageContaining("expected featureDim 24, found 16");
    FrameFeatures f = BottomUpNpz.read(features.resolve("train_000000").resolve("0.npz"));
    assertThat(f.featureDim()).isEqualTo(D);
  }

}
