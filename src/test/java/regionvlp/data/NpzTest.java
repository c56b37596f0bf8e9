package regionvlp.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NpzTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void roundTripsArraysAndPickledDictInOrder(boolean compressed) throws Exception {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("name", "héllo");
    info.put("big", 1L << 40);
    info.put("neg", -70000L);
    info.put("ratio", 0.125);
    info.put("ids", NpyArray.ofLongs(new long[] {1, 2, 3}, 3));
    info.put("conf", NpyArray.ofFloats(new float[] {0.5f, 0.25f}, 2));
    info.put("mat", NpyArray.ofDoubles(new double[300], 100, 3));
    Map<String, Object> entries = new LinkedHashMap<>();
    entries.put("z", NpyArray.ofFloats(new float[] {1, 2, 3, 4}, 2, 2));
    entries.put("a", NpyArray.ofLongs(new long[] {9}));
    entries.put("info", info);
    Path file = tmp.resolve("rt.npz");
    Files.write(file, Npz.toBytes(entries, compressed));

    try (ZipFile zip = new ZipFile(file.toFile())) {
      int method = compressed ? ZipEntry.DEFLATED : ZipEntry.STORED;
      assertThat(zip.stream().map(ZipEntry::getMethod)).containsOnly(method);
      assertThat(zip.stream().map(ZipEntry::getName)).containsExactly("z.npy", "a.npy", "info.npy");
    }
    Map<String, Object> back = Npz.read(file);
    assertThat(back.keySet()).containsExactly("z", "a", "info");
    assertThat(back.get("z")).isEqualTo(entries.get("z"));
    assertThat(back.get("a")).isEqualTo(entries.get("a"));
    assertThat(((PyObjectArray) back.get("info")).item()).isEqualTo(info);
  }

  @Test
  void badEntryIsNamedWithTheFile() throws Exception {
    byte[] good = Npy.toBytes(NpyArray.ofFloats(new float[4], 4));
    byte[] bad = java.util.Arrays.copyOf(good, good.length - 4);
    Path file = tmp.resolve("bad_entry.npz");
    Files.write(file, PickleBytes.zip(Map.of("x.npy", good, "bbox.npy", bad)));
    assertThatThrownBy(() -> Npz.read(file))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("entry 'bbox.npy'")
        .hasMessageContaining("expected 16 bytes, found 12");
  }

  @Test
  void notAZipIsReported() throws Exception {
    Path file = tmp.resolve("plain.npz");
    Files.writeString(file, "this is not a zip archive");
    assertThatThrownBy(() -> Npz.read(file))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not a readable npz (zip) archive");
  }
}
