package regionvlp.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BottomUpNpzTest {
  private static final String FIXTURES = "/fixtures/npz/";
  private static final long SEED = 7;

  @TempDir Path tmp;

  private Path fixture(String name) throws Exception {
    try (InputStream in = BottomUpNpzTest.class.getResourceAsStream(FIXTURES + name)) {
      assertThat(in).as("fixture %s (regenerate with tools/make_npz_fixtures.py)", name).isNotNull();
      Path p = tmp.resolve(name);
      Files.copy(in, p);
      return p;
    }
  }

  private static JsonNode expectedJson() throws Exception {
    try (InputStream in = BottomUpNpzTest.class.getResourceAsStream(FIXTURES + "expected.json")) {
      assertThat(in).as("fixtures/npz/expected.json").isNotNull();
      return new ObjectMapper().readTree(in);
    }
  }

  private static float[] floats(JsonNode a) {
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) a.get(i).asDouble();
    }
    return out;
  }

  private static long[] longs(JsonNode a) {
    long[] out = new long[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asLong();
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "frame_compressed.npz",
        "frame_stored.npz",
        "frame_numpy_scalars.npz",
        "frame_numpy1_style.npz",
        "frame_protocol2.npz"
      })
  void readsFilesWrittenByRealNumpy(String name) throws Exception {
    JsonNode all = expectedJson();
    assertThat(all.get("numpy_version").asText()).isNotBlank();
    JsonNode e = all.get("files").get(name);
    assertThat(e).as("expected.json entry for %s", name).isNotNull();
    FrameFeatures f = BottomUpNpz.read(fixture(name));
    assertThat(f.imageId()).isEqualTo(e.get("image_id").asText());
    assertThat(f.imageHeight()).isEqualTo(e.get("image_h").asInt());
    assertThat(f.imageWidth()).isEqualTo(e.get("image_w").asInt());
    assertThat(f.numBoxes()).isEqualTo(e.get("num_boxes").asInt());
    assertThat(f.featureDim()).isEqualTo(e.get("feature_dim").asInt());
    assertThat(f.features()).containsExactly(floats(e.get("x")));
    assertThat(f.boxes()).containsExactly(floats(e.get("bbox")));
    assertThat(f.objectIds()).containsExactly(longs(e.get("objects_id")));
    assertThat(f.objectConf()).containsExactly(floats(e.get("objects_conf")));
    if (e.has("attrs_id")) {
      assertThat(f.attrIds()).containsExactly(longs(e.get("attrs_id")));
      assertThat(f.attrConf()).containsExactly(floats(e.get("attrs_conf")));
    } else {
      assertThat(f.attrIds()).isNull();
      assertThat(f.attrConf()).isNull();
    }
  }

  @Test
  void numpyScalarsInInfoBecomeJavaNumbers() throws Exception {
    Map<String, Object> npz = Npz.read(fixture("frame_numpy_scalars.npz"));
    Map<?, ?> info = (Map<?, ?>) ((PyObjectArray) npz.get("info")).item();
    assertThat(info.get("image_h")).isInstanceOf(Long.class);
    assertThat(info.get("extra_float")).isEqualTo(0.25);
    assertThat(info.get("extra_f4")).isEqualTo(1.5);
    assertThat(npz.keySet()).containsExactly("x", "bbox", "num_bbox", "image_h", "image_w", "info");
  }

  static FrameFeatures randomFrame(long seed, boolean attrs) {
    Random r = new Random(seed);
    int n = 3 + r.nextInt(5);
    int d = 2 + r.nextInt(7);
    float[] x = new float[n * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    float[] boxes = new float[n * 4];
    for (int i = 0; i < boxes.length; i++) {
      boxes[i] = r.nextFloat() * 500;
    }
    long[] ids = new long[n];
    float[] conf = new float[n];
    long[] aids = new long[n];
    float[] aconf = new float[n];
    for (int i = 0; i < n; i++) {
      ids[i] = r.nextInt(1601);
      conf[i] = r.nextFloat();
      aids[i] = r.nextInt(401);
      aconf[i] = r.nextFloat();
    }
    return new FrameFeatures(
        "frame_" + seed, 640, 360, n, d, x, boxes, ids, conf, attrs ? aids : null, attrs ? aconf : null);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void roundTripsThroughOurWriter(boolean compressed) {
    for (boolean attrs : new boolean[] {true, false}) {
      FrameFeatures frame = randomFrame(SEED + (attrs ? 1 : 0), attrs);
      Path file = tmp.resolve("sub/dir/rt_" + compressed + "_" + attrs + ".npz");
      BottomUpNpz.write(file, frame, compressed);
      FrameFeatures back = BottomUpNpz.read(file);
      assertThat(back).as("seed %d attrs %s", SEED, attrs).isEqualTo(frame);
      assertThat(back.attrIds() == null).isEqualTo(!attrs);
    }
  }

  @Test
  void writtenArchiveHasTheExtractorLayout() throws Exception {
    FrameFeatures frame = randomFrame(SEED, true);
    Path file = tmp.resolve("layout.npz");
    BottomUpNpz.write(file, frame, true);
    Map<String, Object> npz = Npz.read(file);
    assertThat(npz.keySet()).containsExactly("x", "bbox", "num_bbox", "image_h", "image_w", "info");
    NpyArray numBbox = (NpyArray) npz.get("num_bbox");
    assertThat(numBbox.descr()).isEqualTo("<i8");
    assertThat(numBbox.shape()).isEmpty();
    assertThat(numBbox.getLong(0)).isEqualTo(frame.numBoxes());
    assertThat(((NpyArray) npz.get("x")).shape()).containsExactly(frame.numBoxes(), frame.featureDim());
    Map<?, ?> info = (Map<?, ?>) ((PyObjectArray) npz.get("info")).item();
    assertThat(new java.util.ArrayList<Object>(info.keySet()))
        .containsExactly(
            "image_id", "image_h", "image_w", "num_boxes", "objects_id", "objects_conf", "attrs_id", "attrs_conf");
    assertThat(((NpyArray) info.get("objects_conf")).descr()).isEqualTo("<f4");
    assertThat(((NpyArray) info.get("objects_id")).descr()).isEqualTo("<i8");
  }

  @Test
  void writeIsAtomicAndLeavesNoTempFiles() throws Exception {
    Path file = tmp.resolve("atomic.npz");
    Files.writeString(file, "old content");
    BottomUpNpz.write(file, randomFrame(SEED, false), false);
    assertThat(BottomUpNpz.read(file)).isEqualTo(randomFrame(SEED, false));
    try (Stream<Path> files = Files.list(tmp)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("atomic.npz");
    }
  }

  // ---- corrupt inputs ----

  private Path writeEntries(String name, Map<String, Object> entries) throws Exception {
    Path file = tmp.resolve(name);
    Files.write(file, Npz.toBytes(entries, true));
    return file;
  }

  private static Map<String, Object> goodEntries(FrameFeatures f) {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("image_id", f.imageId());
    info.put("image_h", (long) f.imageHeight());
    info.put("image_w", (long) f.imageWidth());
    info.put("num_boxes", (long) f.numBoxes());
    info.put("objects_id", NpyArray.ofLongs(f.objectIds(), f.numBoxes()));
    info.put("objects_conf", NpyArray.ofFloats(f.objectConf(), f.numBoxes()));
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("x", NpyArray.ofFloats(f.features(), f.numBoxes(), f.featureDim()));
    e.put("bbox", NpyArray.ofFloats(f.boxes(), f.numBoxes(), 4));
    e.put("num_bbox", NpyArray.ofLongs(new long[] {f.numBoxes()}));
    e.put("image_h", NpyArray.ofLongs(new long[] {f.imageHeight()}));
    e.put("image_w", NpyArray.ofLongs(new long[] {f.imageWidth()}));
    e.put("info", info);
    return e;
  }

  @Test
  void goodEntriesHelperProducesAReadableFile() throws Exception {
    FrameFeatures f = randomFrame(SEED, false);
    assertThat(BottomUpNpz.read(writeEntries("good.npz", goodEntries(f)))).isEqualTo(f);
  }

  @Test
  void truncatedNpzNamesTheFile() throws Exception {
    Path full = tmp.resolve("full.npz");
    BottomUpNpz.write(full, randomFrame(SEED, true), true);
    byte[] bytes = Files.readAllBytes(full);
    Path cut = tmp.resolve("truncated.npz");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
    assertThatThrownBy(() -> BottomUpNpz.read(cut))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageStartingWith(cut.toString())
        .hasMessageContaining("truncated")
        .satisfies(e -> assertThat(((InvalidInputFileException) e).path()).isEqualTo(cut));
  }

  @Test
  void missingFileIsReported() {
    Path nothing = tmp.resolve("absent.npz");
    assertThatThrownBy(() -> BottomUpNpz.read(nothing))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(nothing.toString())
        .hasMessageContaining("not found");
  }

  @Test
  void missingKeyNamesFileAndKey() throws Exception {
    Map<String, Object> e = goodEntries(randomFrame(SEED, false));
    e.remove("bbox");
    Path file = writeEntries("nobbox.npz", e);
    assertThatThrownBy(() -> BottomUpNpz.read(file))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("bbox: missing key");
  }

  @Test
  void missingInfoFieldNamesIt() throws Exception {
    Map<String, Object> e = goodEntries(randomFrame(SEED, false));
    @SuppressWarnings("unchecked")
    Map<String, Object> info = (Map<String, Object>) e.get("info");
    info.remove("objects_conf");
    Path file = writeEntries("noconf.npz", e);
    assertThatThrownBy(() -> BottomUpNpz.read(file))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("info['objects_conf']: missing key");
  }

  @Test
  void wrongBboxShapeNamesExpectedAndFound() throws Exception {
    FrameFeatures f = randomFrame(SEED, false);
    Map<String, Object> e = goodEntries(f);
    e.put("bbox", NpyArray.ofFloats(new float[f.numBoxes() * 5], f.numBoxes(), 5));
    Path file = writeEntries("bbox5.npz", e);
    assertThatThrownBy(() -> BottomUpNpz.read(file))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("bbox: expected shape [" + f.numBoxes() + ", 4]")
        .hasMessageContaining("found [" + f.numBoxes() + ", 5]");
  }

  @Test
  void nanInFeaturesNamesKeyAndFirstBadIndex() throws Exception {
    FrameFeatures f = randomFrame(SEED, false);
    float[] x = f.features().clone();
    int row = 1;
    int col = f.featureDim() - 1;
    x[row * f.featureDim() + col] = Float.NaN;
    x[(f.numBoxes() - 1) * f.featureDim()] = Float.POSITIVE_INFINITY;
    Map<String, Object> e = goodEntries(f);
    e.put("x", NpyArray.ofFloats(x, f.numBoxes(), f.featureDim()));
    Path file = writeEntries("nan.npz", e);
    assertThatThrownBy(() -> BottomUpNpz.read(file))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("x: expected finite values, found NaN at index [" + row + ", " + col + "]");
  }

  @Test
  void inconsistentCountsAreReported() throws Exception {
    FrameFeatures f = randomFrame(SEED, false);
    Map<String, Object> e = goodEntries(f);
    e.put("num_bbox", NpyArray.ofLongs(new long[] {f.numBoxes() + 1}));
    Path file = writeEntries("numbbox.npz", e);
    assertThatThrownBy(() -> BottomUpNpz.read(file))
        .hasMessageContaining("num_bbox: expected " + f.numBoxes() + " (rows of x), found " + (f.numBoxes() + 1));

    Map<String, Object> e2 = goodEntries(f);
    @SuppressWarnings("unchecked")
    Map<String, Object> info = (Map<String, Object>) e2.get("info");
    info.put("objects_conf", NpyArray.ofFloats(new float[] {0.5f}, 1));
    Path file2 = writeEntries("conf1.npz", e2);
    assertThatThrownBy(() -> BottomUpNpz.read(file2))
        .hasMessageContaining(file2.toString())
        .hasMessageContaining("info['objects_conf']: expected " + f.numBoxes() + " values (rows of x), found 1");
  }
}
