package regionvlp.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.Npy;
import regionvlp.data.NpyArray;
import regionvlp.eval.Similarity;

/** The index on plain arrays: exact top-k against a naive sort, write/open round trips, HNSW recall. */
class VideoIndexTest {
  static final long SEED = 20240611L;

  @TempDir Path dir;

  static float[][] unitRows(SplittableRandom rng, int n, int dim) {
    float[][] rows = new float[n][dim];
    for (float[] r : rows) {
      for (int k = 0; k < dim; k++) {
        r[k] = (float) rng.nextGaussian();
      }
    }
    return Similarity.normalized(rows);
  }

  static float[] flat(float[][] rows) {
    float[] out = new float[rows.length * rows[0].length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, out, i * rows[0].length, rows[0].length);
    }
    return out;
  }

  /** Every row scored with Similarity.cosine, sorted by score then ordinal: the naive oracle. */
  static List<Integer> naive(float[][] rows, float[] q, int k) {
    float[] s = Similarity.cosine(new float[][] {q}, rows)[0];
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < rows.length; i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingDouble((Integer i) -> -s[i]).thenComparingInt(i -> i));
    return order.subList(0, Math.min(k, rows.length));
  }

  static List<Integer> ords(Scored[] hits) {
    return Arrays.stream(hits).map(Scored::ordinal).toList();
  }

  static float[][] gaussianRows(SplittableRandom rng, int n, int dim) {
    float[][] rows = new float[n][dim];
    for (float[] r : rows) {
      for (int k = 0; k < dim; k++) {
        r[k] = (float) (2 * rng.nextGaussian());
      }
    }
    return rows;
  }

  @Test
  void exactTopKEqualsANaiveSortOfTheCosineMatrixTiesIncluded() {
    SplittableRandom rng = new SplittableRandom(SEED);
    float[][] raw = gaussianRows(rng, 257, 13); // not unit: stored normalised, as the writer does
    raw[200] = raw[3].clone(); // exact ties: the lower ordinal must come first
    raw[100] = raw[3].clone();
    float[] v = flat(Similarity.normalized(raw));
    for (int q = 0; q < 20; q++) {
      float[] rawQuery = q == 0 ? raw[3] : gaussianRows(rng, 1, 13)[0];
      float[] query = Similarity.normalized(new float[][] {rawQuery})[0];
      float[] cos = Similarity.cosine(new float[][] {rawQuery}, raw)[0]; // what eval computes
      for (int k : new int[] {1, 7, 300}) {
        Scored[] hits = ExactSearch.topK(v, raw.length, 13, query, k);
        assertThat(ords(hits)).as("seed %d query %d k %d", SEED, q, k).isEqualTo(naive(raw, rawQuery, k));
        for (Scored h : hits) {
          assertThat(h.score()).as("bit-identical to eval's cosine").isEqualTo(cos[h.ordinal()]);
        }
      }
    }
    float[] q3 = Similarity.normalized(new float[][] {raw[3]})[0];
    assertThat(ExactSearch.topK(v, raw.length, 13, q3, 0)).isEmpty();
    assertThat(ords(ExactSearch.topK(v, raw.length, 13, q3, 3))).containsExactly(3, 100, 200);
  }

  @Test
  void writeThenOpenGivesTheSameTopKAndRegionData() throws IOException {
    SplittableRandom rng = new SplittableRandom(SEED + 1);
    int n = 23;
    int dim = 9;
    IndexManifest.RegionInfo ri = new IndexManifest.RegionInfo(2, 3, "float16");
    float[][] raw = new float[n][dim];
    List<VideoIndexWriter.RegionData> regions = new ArrayList<>();
    Path out = dir.resolve("idx");
    try (VideoIndexWriter w = VideoIndexWriter.create(out, n, dim, ri)) {
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < dim; k++) {
          raw[i][k] = (float) (3 * rng.nextGaussian()); // not unit: the writer normalises
        }
        float[] local = new float[6 * dim];
        for (int k = 0; k < local.length; k++) {
          local[k] = (float) rng.nextGaussian();
        }
        boolean[] valid = {true, true, rng.nextBoolean(), true, false, false};
        float[] boxes = new float[24];
        for (int k = 0; k < 24; k++) {
          boxes[k] = (float) rng.nextDouble();
        }
        VideoIndexWriter.RegionData rd = new VideoIndexWriter.RegionData(local, valid, boxes, new int[] {i, i + 7});
        regions.add(rd);
        w.add("video " + i, raw[i], rd);
      }
      w.finish(new IndexManifest(IndexManifest.FORMAT, "now", n, dim, null, null, Map.of("test", true), null, null),
          null, null);
    }
    float[][] unit = Similarity.normalized(raw);
    try (VideoIndex idx = VideoIndex.open(out)) {
      assertThat(idx.count()).isEqualTo(n);
      assertThat(idx.id(5)).isEqualTo("video 5");
      assertThat(idx.ordinal("video 5")).isEqualTo(5);
      assertThat(idx.ordinal("nope")).isEqualTo(-1);
      assertThat(idx.hasHnsw()).isFalse();
      for (int q = 0; q < 10; q++) {
        float[] query = unitRows(rng, 1, dim)[0];
        assertThat(ords(idx.exact(query, 8))).isEqualTo(naive(unit, query, 8));
      }
      RegionStore rs = idx.regions();
      int[] pick = {7, 0, 22};
      float[] values = new float[3 * 6 * dim];
      float[] mask = new float[3 * 6];
      rs.read(pick, values, mask);
      for (int p = 0; p < 3; p++) {
        VideoIndexWriter.RegionData rd = regions.get(pick[p]);
        for (int k = 0; k < 6 * dim; k++) {
          float x = rd.local()[k];
          assertThat(values[p * 6 * dim + k]).as("video %d value %d", pick[p], k)
              .isEqualTo(NpyArray.halfToFloat(NpyArray.floatToHalf(x)));
          assertThat(Math.abs(values[p * 6 * dim + k] - x)).isLessThanOrEqualTo(Math.abs(x) * 0x1p-11f + 0x1p-24f);
        }
        for (int t = 0; t < 6; t++) {
          assertThat(mask[p * 6 + t]).isEqualTo(rd.valid()[t] ? 0f : RegionStore.PADDED);
        }
        assertThat(rs.valid(pick[p])).containsExactly(rd.valid());
        assertThat(rs.boxes(pick[p])).containsExactly(rd.boxes());
        assertThat(rs.frameNumbers(pick[p])).containsExactly(pick[p], pick[p] + 7);
      }
      assertThatThrownBy(() -> rs.boxes(23)).isInstanceOf(IndexOutOfBoundsException.class);
    }
  }

  static Path writePlain(Path out, float[][] rows, IndexManifest.HnswInfo hnsw) {
    try (VideoIndexWriter w = VideoIndexWriter.create(out, rows.length, rows[0].length, null)) {
      for (int i = 0; i < rows.length; i++) {
        w.add("v" + i, rows[i], null);
      }
      w.finish(new IndexManifest(IndexManifest.FORMAT, "now", rows.length, rows[0].length, null, null, null, null,
          null), hnsw, null);
    }
    return out;
  }

  @Test
  void hnswRecallAtTenIsAtLeast95PercentAndAFullBeamIsExact() {
    SplittableRandom rng = new SplittableRandom(SEED + 2);
    int n = 3000;
    int dim = 32;
    // Clustered data (50 centres, noise 0.5 per axis) is harder for a graph than uniform noise.
    float[][] centres = unitRows(rng, 50, dim);
    float[][] rows = new float[n][dim];
    for (int i = 0; i < n; i++) {
      float[] c = centres[rng.nextInt(50)];
      for (int k = 0; k < dim; k++) {
        rows[i][k] = c[k] + (float) (0.5 / Math.sqrt(dim) * rng.nextGaussian());
      }
    }
    Path out = writePlain(dir.resolve("hnsw-idx"), rows, new IndexManifest.HnswInfo(16, 100));
    try (VideoIndex idx = VideoIndex.open(out)) {
      assertThat(idx.hasHnsw()).isTrue();
      double recall = 0;
      int queries = 100;
      for (int q = 0; q < queries; q++) {
        float[] query = unitRows(rng, 1, dim)[0];
        Set<Integer> truth = new HashSet<>(ords(idx.exact(query, 10)));
        Scored[] approx = idx.hnsw(query, 10, 100); // the default beam of search and serve
        assertThat(approx).hasSize(10);
        recall += ords(approx).stream().filter(truth::contains).count() / 10.0;
        // Scores are exact dot products whichever path found the video, best first.
        for (int i = 1; i < approx.length; i++) {
          assertThat(Scored.BEST_FIRST.compare(approx[i - 1], approx[i])).isNegative();
        }
      }
      assertThat(recall / queries).as("mean recall@10, seed %d", SEED + 2).isGreaterThanOrEqualTo(0.95);
      for (int q = 0; q < 5; q++) {
        float[] query = unitRows(rng, 1, dim)[0];
        assertThat(ords(idx.hnsw(query, 10, n))).as("beam = N").isEqualTo(ords(idx.exact(query, 10)));
      }
    }
  }

  @Test
  void existingTargetsAreNeverOverwrittenAndAbortedBuildsLeaveNothing() throws IOException {
    Path out = dir.resolve("taken");
    Files.createDirectories(out);
    assertThatThrownBy(() -> VideoIndexWriter.create(out, 1, 4, null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already exists");
    Path aborted = dir.resolve("aborted");
    try (VideoIndexWriter w = VideoIndexWriter.create(aborted, 2, 4, null)) {
      w.add("a", new float[] {1, 0, 0, 0}, null);
    }
    assertThat(aborted).doesNotExist();
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("taken");
    }
  }

  @Test
  void filesThatDisagreeWithTheManifestAreRefusedNamingTheFile() throws IOException {
    float[][] rows = unitRows(new SplittableRandom(SEED + 3), 5, 4);
    Path out = writePlain(dir.resolve("idx"), rows, null);
    float[] notUnit = flat(rows);
    notUnit[4 * 2] *= 2; // row 2 no longer has norm 1
    Files.write(out.resolve(VideoIndex.EMBEDDINGS), Npy.toBytes(NpyArray.ofFloats(notUnit, 5, 4)));
    assertThatThrownBy(() -> VideoIndex.open(out)).isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(VideoIndex.EMBEDDINGS).hasMessageContaining("row 2 (v2)")
        .hasMessageContaining("expected unit vectors");
    Files.write(out.resolve(VideoIndex.EMBEDDINGS), Npy.toBytes(NpyArray.ofFloats(notUnit, 4, 5)));
    assertThatThrownBy(() -> VideoIndex.open(out)).hasMessageContaining("expected float32 [5, 4]");
    Files.writeString(out.resolve(VideoIndex.IDS), "a\nb\n");
    assertThatThrownBy(() -> VideoIndex.open(out)).hasMessageContaining(VideoIndex.IDS)
        .hasMessageContaining("expected 5 ids").hasMessageContaining("found 2");
    Files.delete(out.resolve(IndexManifest.FILE));
    assertThatThrownBy(() -> VideoIndex.open(out)).hasMessageContaining("not an index");
  }
}
