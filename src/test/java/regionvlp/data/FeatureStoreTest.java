package regionvlp.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's write/read round trip, its half-precision rounding (against numpy), checksums, the
 * verification stamp, and crash/resume behaviour of the writer. Rows here are arbitrary numbers: selection
 * from real frames is tested in {@code features.StoreConverterTest}.
 */
class FeatureStoreTest {
  @TempDir Path dir;

  static final int R = 5;
  static final int D = 3;
  static final int ROW = R * (D + 6);

  /** Clips with random rows; valid counts 1..R, padded slots repeating the last real row as a store has them. */
  record Corpus(List<FeatureStoreWriter.Clip> clips, List<FeatureStoreWriter.Rows> rows) {}

  static Corpus corpus(long seed, int clips) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<FeatureStoreWriter.Clip> c = new ArrayList<>();
    List<FeatureStoreWriter.Rows> r = new ArrayList<>();
    for (int i = 0; i < clips; i++) {
      int k = 1 + rng.nextInt(6);
      c.add(new FeatureStoreWriter.Clip(String.format("page%d/clip_%03d", i % 3, i), k));
      float[] regions = new float[k * ROW];
      int[] valid = new int[k];
      for (int f = 0; f < k; f++) {
        valid[f] = 1 + rng.nextInt(R);
        for (int slot = 0; slot < R; slot++) {
          for (int j = 0; j < D + 6; j++) {
            int src = Math.min(slot, valid[f] - 1);
            regions[f * ROW + slot * (D + 6) + j] = slot < valid[f] ? (float) rng.nextGaussian()
                : regions[f * ROW + src * (D + 6) + j];
          }
        }
      }
      r.add(new FeatureStoreWriter.Rows(regions, valid));
    }
    return new Corpus(c, r);
  }

  static FeatureStoreWriter.Options options(FeatureStore.DType dtype, long shardBytes) {
    return new FeatureStoreWriter.Options(dtype, R, D, shardBytes, false, "synthetic");
  }

  static FeatureStoreManifest write(Path store, Corpus c, FeatureStoreWriter.Options o) {
    return FeatureStoreWriter.open(store, c.clips(), o).write(i -> c.rows().get(i), i -> { });
  }

  @Test
  void float32RowsReadBackExactlyWithTheirMasks() {
    Corpus c = corpus(1, 9);
    Path store = dir.resolve("s");
    write(store, c, options(FeatureStore.DType.FLOAT32, 1 << 20));
    for (FeatureStore.Access access : FeatureStore.Access.values()) {
      try (FeatureStore s = FeatureStore.open(store, FeatureStore.Verify.ONCE, access, l -> { })) {
        checkAllFrames(s, c);
      }
    }
  }

  private static void checkAllFrames(FeatureStore s, Corpus c) {
    assertThat(s.numClips()).isEqualTo(9);
    assertThat(s.keys()).isEqualTo(c.clips().stream().map(FeatureStoreWriter.Clip::key).toList());
    for (int i = 0; i < 9; i++) {
      assertThat(s.frameCount(i)).isEqualTo(c.clips().get(i).numFrames());
      for (int f = 0; f < s.frameCount(i); f++) {
        float[] out = new float[ROW + 2];
        float[] mask = new float[R + 1];
        int kept = s.readFrame(i, f, R, out, 2, mask, 1);
        int valid = c.rows().get(i).valid()[f];
        assertThat(kept).isEqualTo(valid);
        assertThat(Arrays.copyOfRange(out, 2, 2 + ROW))
            .isEqualTo(Arrays.copyOfRange(c.rows().get(i).regions(), f * ROW, (f + 1) * ROW));
        for (int slot = 0; slot < R; slot++) {
          assertThat(mask[1 + slot]).as("clip %d frame %d slot %d", i, f, slot).isEqualTo(slot < valid ? 1f : 0f);
        }
      }
    }
  }

  @Test
  void fewerRegionsThanStoredGiveThePrefixAndAClippedMask() {
    Corpus c = corpus(2, 4);
    Path store = dir.resolve("s");
    write(store, c, options(FeatureStore.DType.FLOAT32, 1 << 20));
    int n = 2;
    try (FeatureStore s = FeatureStore.open(store)) {
      for (int i = 0; i < 4; i++) {
        for (int f = 0; f < s.frameCount(i); f++) {
          float[] out = new float[n * (D + 6)];
          float[] mask = new float[n];
          int kept = s.readFrame(i, f, n, out, 0, mask, 0);
          int valid = c.rows().get(i).valid()[f];
          assertThat(kept).isEqualTo(Math.min(valid, n));
          assertThat(out).isEqualTo(Arrays.copyOfRange(c.rows().get(i).regions(), f * ROW, f * ROW + out.length));
          assertThat(mask[1]).isEqualTo(valid >= 2 ? 1f : 0f);
        }
      }
      assertThatThrownBy(() -> s.readFrame(0, 0, R + 1, new float[ROW * 2], 0, new float[R + 1], 0))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 1..5");
    }
  }

  @Test
  void float16RoundingMatchesNumpy() throws IOException {
    JsonNode g;
    try (InputStream in = getClass().getResourceAsStream("/golden/float16.json")) {
      g = new ObjectMapper().readTree(in);
    }
    JsonNode f32 = g.get("float32Bits");
    JsonNode f16 = g.get("float16Bits");
    assertThat(f32.size()).isGreaterThan(1000).isEqualTo(f16.size());
    for (int i = 0; i < f32.size(); i++) {
      float x = Float.intBitsToFloat((int) f32.get(i).asLong());
      short h = NpyArray.floatToHalf(x);
      assertThat(h & 0xffff).as("float16 of %s (%08x), case %d", x, f32.get(i).asLong(), i)
          .isEqualTo(f16.get(i).asInt());
    }
  }

  @Test
  void everyHalfSurvivesTheRoundTripThroughFloat() {
    for (int bits = 0; bits < 1 << 16; bits++) {
      float x = NpyArray.halfToFloat((short) bits);
      if (Float.isNaN(x)) {
        assertThat(Float.isNaN(NpyArray.halfToFloat(NpyArray.floatToHalf(x)))).isTrue();
      } else {
        assertThat(NpyArray.floatToHalf(x) & 0xffff).as("half %04x", bits).isEqualTo(bits);
      }
    }
  }

  @Test
  void float16StoresHoldTheRoundedValues() {
    Corpus c = corpus(3, 5);
    Path store = dir.resolve("s");
    write(store, c, options(FeatureStore.DType.FLOAT16, 1 << 20));
    for (FeatureStore.Access access : FeatureStore.Access.values()) {
      try (FeatureStore s = FeatureStore.open(store, FeatureStore.Verify.ONCE, access, l -> { })) {
        checkHalfFrames(s, c);
      }
    }
  }

  private static void checkHalfFrames(FeatureStore s, Corpus c) {
    assertThat(s.dtype()).isEqualTo(FeatureStore.DType.FLOAT16);
    for (int i = 0; i < 5; i++) {
      for (int f = 0; f < s.frameCount(i); f++) {
        float[] out = new float[ROW];
        s.readFrame(i, f, R, out, 0, new float[R], 0);
        for (int j = 0; j < ROW; j++) {
          float x = c.rows().get(i).regions()[f * ROW + j];
          assertThat(out[j]).isEqualTo(NpyArray.halfToFloat(NpyArray.floatToHalf(x)));
        }
      }
    }
  }

  @Test
  void anInterruptedReaderDoesNotBreakTheStoreForOtherReaders() {
    Corpus c = corpus(12, 3);
    Path store = dir.resolve("s");
    write(store, c, options(FeatureStore.DType.FLOAT32, 1 << 20));
    try (FeatureStore s = FeatureStore.open(store)) {
      float[] out = new float[ROW];
      Thread.currentThread().interrupt(); // as a cancelled prefetch task is: the channel closes under it
      try {
        assertThatThrownBy(() -> s.readFrame(1, 0, R, out, 0, new float[R], 0))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("interrupted while reading");
      } finally {
        assertThat(Thread.interrupted()).as("the interrupt status is kept").isTrue();
      }
      s.readFrame(1, 0, R, out, 0, new float[R], 0);
      assertThat(out).isEqualTo(Arrays.copyOfRange(c.rows().get(1).regions(), 0, ROW));
    }
    FeatureStore closed = FeatureStore.open(store);
    closed.close();
    assertThatThrownBy(() -> closed.readFrame(0, 0, R, new float[ROW], 0, new float[R], 0))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void clipsArePackedIntoShardsBelowTheBoundWithoutStraddling() throws IOException {
    Corpus c = corpus(4, 20);
    Path store = dir.resolve("s");
    long frameBytes = (long) ROW * 4;
    long bound = FeatureStoreWriter.HEADER_BYTES + 8 * frameBytes; // 8 frames per shard at most
    FeatureStoreManifest m = write(store, c, options(FeatureStore.DType.FLOAT32, bound));
    assertThat(m.shards()).hasSizeGreaterThan(3);
    int clip = 0;
    for (FeatureStoreManifest.Shard sh : m.shards()) {
      assertThat(Files.size(store.resolve(sh.regions().file()))).isLessThanOrEqualTo(bound);
      assertThat(sh.firstClip()).isEqualTo(clip);
      int frames = 0;
      for (int i = sh.firstClip(); i < sh.firstClip() + sh.numClips(); i++) {
        frames += c.clips().get(i).numFrames();
      }
      assertThat(frames).isEqualTo(sh.frames());
      clip += sh.numClips();
    }
    assertThat(clip).isEqualTo(20);
    try (FeatureStore s = FeatureStore.open(store)) {
      float[] out = new float[ROW];
      s.readFrame(19, c.clips().get(19).numFrames() - 1, R, out, 0, new float[R], 0);
      int last = c.clips().get(19).numFrames() - 1;
      assertThat(out).isEqualTo(Arrays.copyOfRange(c.rows().get(19).regions(), last * ROW, (last + 1) * ROW));
    }
  }

  @Test
  void aCorruptShardIsRefusedNamingTheFileTheExpectedAndTheFoundChecksum() throws IOException {
    Path store = dir.resolve("s");
    FeatureStoreManifest m = write(store, corpus(5, 6), options(FeatureStore.DType.FLOAT32, 1 << 20));
    Path shard = store.resolve(m.shards().get(0).regions().file());
    flipByte(shard, 1000);
    long found = FeatureStore.crc32(shard);
    assertThatThrownBy(() -> FeatureStore.open(store, FeatureStore.Verify.ALWAYS, l -> { }))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(shard.toString())
        .hasMessageContaining(String.format("expected crc32 %08x", m.shards().get(0).regions().crc32()))
        .hasMessageContaining(String.format("found %08x", found));
  }

  @Test
  void aTruncatedShardIsRefusedWithBothSizes() throws IOException {
    Path store = dir.resolve("s");
    FeatureStoreManifest m = write(store, corpus(6, 6), options(FeatureStore.DType.FLOAT32, 1 << 20));
    Path shard = store.resolve(m.shards().get(0).regions().file());
    long size = Files.size(shard);
    try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
      f.setLength(size - 36);
    }
    assertThatThrownBy(() -> FeatureStore.open(store))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(shard.toString())
        .hasMessageContaining("truncated: expected " + size + " bytes")
        .hasMessageContaining("found " + (size - 36));
  }

  @Test
  void theStampSkipsReverificationUntilTheShardChanges() throws IOException {
    Path store = dir.resolve("s");
    FeatureStoreManifest m = write(store, corpus(7, 6), options(FeatureStore.DType.FLOAT32, 1 << 20));
    FeatureStore.open(store).close();
    assertThat(store.resolve(FeatureStore.STAMP)).exists();
    Path shard = store.resolve(m.shards().get(0).regions().file());
    FileTime verifiedAt = Files.getLastModifiedTime(shard);

    // Bit rot that keeps size and mtime: the documented blind spot of ONCE; ALWAYS catches it.
    flipByte(shard, 2000);
    Files.setLastModifiedTime(shard, verifiedAt);
    FeatureStore.open(store, FeatureStore.Verify.ONCE, l -> { }).close();
    assertThatThrownBy(() -> FeatureStore.open(store, FeatureStore.Verify.ALWAYS, l -> { }))
        .hasMessageContaining("checksum mismatch");

    // Any rewrite moves the mtime, and ONCE checksums again.
    Files.setLastModifiedTime(shard, FileTime.fromMillis(verifiedAt.toMillis() + 5000));
    assertThatThrownBy(() -> FeatureStore.open(store, FeatureStore.Verify.ONCE, l -> { }))
        .isInstanceOf(InvalidInputFileException.class).hasMessageContaining("checksum mismatch");
  }

  @Test
  void anInterruptedConversionLooksUnfinishedAndResumesToTheSameStore() throws IOException {
    Corpus c = corpus(8, 16);
    long bound = FeatureStoreWriter.HEADER_BYTES + 10L * ROW * 4;
    Path once = dir.resolve("once");
    FeatureStoreManifest expected = write(once, c, options(FeatureStore.DType.FLOAT32, bound));
    assertThat(expected.shards()).hasSizeGreaterThan(2);

    Path store = dir.resolve("resumed");
    FeatureStoreManifest.Shard second = expected.shards().get(1);
    int failAt = second.firstClip() + second.numClips() - 1; // the second shard's last clip
    FeatureStoreWriter w = FeatureStoreWriter.open(store, c.clips(), options(FeatureStore.DType.FLOAT32, bound));
    assertThatThrownBy(() -> w.write(i -> {
      if (i == failAt) {
        throw new IllegalStateException("simulated crash");
      }
      return c.rows().get(i);
    }, i -> { })).hasMessageContaining("simulated crash");
    assertThat(store.resolve(FeatureStore.MANIFEST)).doesNotExist();
    try (var files = Files.list(store)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(FeatureStore.PROGRESS, "regions-00000.npy", "valid-00000.npy");
    }
    assertThatThrownBy(() -> FeatureStore.open(store))
        .isInstanceOf(InvalidInputFileException.class).hasMessageContaining("unfinished conversion");

    FeatureStoreWriter again = FeatureStoreWriter.open(store, c.clips(), options(FeatureStore.DType.FLOAT32, bound));
    assertThat(again.resumedShards()).isEqualTo(1);
    assertThat(again.pendingClips()[0]).isEqualTo(expected.shards().get(1).firstClip());
    List<Integer> asked = new ArrayList<>();
    FeatureStoreManifest m = again.write(i -> {
      asked.add(i);
      return c.rows().get(i);
    }, i -> { });
    assertThat(asked.get(0)).isEqualTo(expected.shards().get(1).firstClip());
    assertThat(m.shards()).isEqualTo(expected.shards());
    assertThat(m.keys()).isEqualTo(expected.keys());
    assertThat(m.index()).isEqualTo(expected.index());
    assertThat(store.resolve(FeatureStore.PROGRESS)).doesNotExist();
    FeatureStore.open(store, FeatureStore.Verify.ALWAYS, l -> { }).close();
  }

  @Test
  void aFolderHoldingSomethingElseIsRefused() throws IOException {
    Corpus c = corpus(9, 3);
    Path store = dir.resolve("s");
    write(store, c, options(FeatureStore.DType.FLOAT32, 1 << 20));
    assertThatThrownBy(() -> write(store, c, options(FeatureStore.DType.FLOAT32, 1 << 20)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already holds a feature store");

    Path other = dir.resolve("other");
    Files.createDirectories(other);
    Files.writeString(other.resolve("notes.txt"), "mine");
    assertThatThrownBy(() -> write(other, c, options(FeatureStore.DType.FLOAT32, 1 << 20)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected a new or empty folder")
        .hasMessageContaining("notes.txt");
    assertThat(other.resolve("notes.txt")).hasContent("mine");

    Path partial = dir.resolve("partial");
    FeatureStoreWriter w = FeatureStoreWriter.open(partial, c.clips(), options(FeatureStore.DType.FLOAT32, 1 << 20));
    assertThatThrownBy(() -> w.write(i -> {
      throw new IllegalStateException("stop");
    }, i -> { }));
    Files.writeString(partial.resolve(FeatureStore.PROGRESS), "{\"plan\": \"x\", \"shards\": {}}");
    assertThatThrownBy(() -> write(partial, c, options(FeatureStore.DType.FLOAT16, 1 << 20)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unfinished conversion of another plan");
  }

  @Test
  void badClipsFailTheWriteOrAreSkippedAndListed() throws IOException {
    Corpus c = corpus(10, 7);
    Path store = dir.resolve("s");
    FeatureStoreWriter.ClipReader reader = i -> {
      if (i == 3) {
        throw new InvalidInputFileException(Path.of("feat", "clip_003", "2.npz"), "truncated zip");
      }
      return c.rows().get(i);
    };
    assertThatThrownBy(() -> FeatureStoreWriter.open(store, c.clips(), options(FeatureStore.DType.FLOAT32, 1 << 20))
        .write(reader, i -> { })).hasMessageContaining("2.npz").hasMessageContaining("truncated zip");
    assertThat(store.resolve(FeatureStore.MANIFEST)).doesNotExist();

    Path skipping = dir.resolve("skipping");
    FeatureStoreManifest m = FeatureStoreWriter.open(skipping, c.clips(),
        new FeatureStoreWriter.Options(FeatureStore.DType.FLOAT32, R, D, 1 << 20, true, "synthetic"))
        .write(reader, i -> { });
    assertThat(m.skipped()).hasSize(1);
    assertThat(m.skipped().get(0).key()).isEqualTo(c.clips().get(3).key());
    assertThat(m.skipped().get(0).reason()).contains("truncated zip");
    try (FeatureStore s = FeatureStore.open(skipping, FeatureStore.Verify.ALWAYS, l -> { })) {
      assertThat(s.numClips()).isEqualTo(6);
      assertThat(s.indexOf(c.clips().get(3).key())).isEqualTo(-1);
      int i4 = s.indexOf(c.clips().get(4).key());
      float[] out = new float[ROW];
      s.readFrame(i4, 0, R, out, 0, new float[R], 0);
      assertThat(out).isEqualTo(Arrays.copyOfRange(c.rows().get(4).regions(), 0, ROW));
    }
    // The shard header was rewritten to the frames actually stored: numpy would read the right shape.
    Npy.Header h = Npy.parseHeader(Files.readAllBytes(skipping.resolve("regions-00000.npy")), null, "");
    assertThat(h.shape()[0]).isEqualTo(m.numFrames());
    assertThat(h.dataOffset()).isEqualTo(FeatureStoreWriter.HEADER_BYTES);
  }

  @Test
  void aDamagedManifestIsNamedWithTheField() throws IOException {
    Path store = dir.resolve("s");
    write(store, corpus(11, 2), options(FeatureStore.DType.FLOAT32, 1 << 20));
    Path manifest = store.resolve(FeatureStore.MANIFEST);
    Files.writeString(manifest, Files.readString(manifest).replace("\"numRegions\" : 5", "\"numRegions\" : \"five\""));
    assertThatThrownBy(() -> FeatureStore.open(store))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(manifest.toString())
        .hasMessageContaining("field 'numRegions': expected an integer");
    assertThatThrownBy(() -> FeatureStore.open(dir.resolve("nothing")))
        .isInstanceOf(InvalidInputFileException.class).hasMessageContaining("feature store not found");
  }

  private static void flipByte(Path file, long at) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x40);
    }
  }
}
