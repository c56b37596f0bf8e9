package regionvlp.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our safetensors reader on files built byte by byte here: the layout the format's specification gives
 * (8-byte little-endian header length, JSON header, raw data), good and broken.
 */
class SafetensorsTest {
  @TempDir Path dir;

  /** 8-byte LE length + header + data. */
  static byte[] file(String header, byte[] data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    return b.putLong(h.length).put(h).put(data).array();
  }

  static byte[] le(int width, long... values) {
    ByteBuffer b = ByteBuffer.allocate(width * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      switch (width) {
        case 2 -> b.putShort((short) v);
        case 4 -> b.putInt((int) v);
        default -> b.putLong(v);
      }
    }
    return b.array();
  }

  Path write(String name, byte[] bytes) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  @Test
  void writtenTensorsReadBackExactly() throws Exception {
    Map<String, Safetensors.Tensor> t = new LinkedHashMap<>();
    t.put("b.weight", new Safetensors.Tensor(new long[] {2, 3}, new float[] {1f, -2.5f, 3e-8f, 0f, 7f, -0f}));
    t.put("a.bias", new Safetensors.Tensor(new long[] {1}, new float[] {Float.MIN_VALUE}));
    t.put("empty", new Safetensors.Tensor(new long[] {0, 4}, new float[0]));
    Path p = write("rt.safetensors", Safetensors.toBytes(t, Map.of("format", "test")));
    Safetensors.Contents c = Safetensors.read(p);
    assertThat(c.tensors().keySet()).containsExactly("b.weight", "a.bias", "empty");
    assertThat(c.tensors().get("b.weight").shape()).containsExactly(2, 3);
    assertThat(c.tensors().get("b.weight").values()).containsExactly(t.get("b.weight").values());
    assertThat(c.tensors().get("a.bias").values()).containsExactly(Float.MIN_VALUE);
    assertThat(c.tensors().get("empty").values()).isEmpty();
    assertThat(c.metadata()).containsEntry("format", "test");
  }

  @Test
  void halfBfloatAndDoubleDecodeToTheirExactValues() throws Exception {
    // Hand-encoded: F16 0x3C00 = 1, 0xC000 = -2, 0x3800 = 0.5, 0x0001 = 2^-24 (smallest subnormal);
    // BF16 0x3F80 = 1, 0xC040 = -3, 0x3E80 = 0.25; F64 0.1 rounds to float 0.1f.
    byte[] f16 = le(2, 0x3C00, 0xC000, 0x3800, 0x0001);
    byte[] bf16 = le(2, 0x3F80, 0xC040, 0x3E80);
    byte[] f64 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-1e300).array();
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    data.write(f16);
    data.write(bf16);
    data.write(f64);
    String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[8,14]},"
        + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[14,30]}}";
    Safetensors.Contents c = Safetensors.read(write("mixed.safetensors", file(header, data.toByteArray())));
    assertThat(c.tensors().get("h").values()).containsExactly(1f, -2f, 0.5f, (float) Math.pow(2, -24));
    assertThat(c.tensors().get("b").values()).containsExactly(1f, -3f, 0.25f);
    assertThat(c.tensors().get("d").values()).containsExactly(0.1f, Float.NEGATIVE_INFINITY);
  }

  @Test
  void integerTensorsAreListedButNotReadAsWeights() throws Exception {
    String header = "{\"position_ids\":{\"dtype\":\"I64\",\"shape\":[1,3],\"data_offsets\":[0,24]},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]}}";
    byte[] data = new byte[28];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putLong(0).putLong(1).putLong(2).putFloat(4.5f);
    Path p = write("ints.safetensors", file(header, data));
    try (Safetensors.Reader r = Safetensors.open(p)) {
      assertThat(r.entries().get("position_ids").dtype()).isEqualTo(Safetensors.Dtype.I64);
      assertThat(r.tensor("w").values()).containsExactly(4.5f);
      assertThatThrownBy(() -> r.tensor("position_ids"))
          .isInstanceOf(InvalidInputFileException.class)
          .hasMessageContaining(p.toString())
          .hasMessageContaining("'position_ids'")
          .hasMessageContaining("expected a float dtype")
          .hasMessageContaining("found I64");
      assertThatThrownBy(() -> r.tensor("nope")).hasMessageContaining("no tensor named 'nope'");
    }
  }

  @Test
  void aTruncatedFileNamesTheTensorAndTheDataSection() throws Exception {
    Map<String, Safetensors.Tensor> t = new LinkedHashMap<>();
    t.put("first", new Safetensors.Tensor(new long[] {4}, new float[4]));
    t.put("last", new Safetensors.Tensor(new long[] {8}, new float[8]));
    byte[] full = Safetensors.toBytes(t, Map.of());
    Path p = write("cut.safetensors", Arrays.copyOf(full, full.length - 5));
    assertThatThrownBy(() -> Safetensors.read(p))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(p.toString())
        .hasMessageContaining("tensor 'last'")
        .hasMessageContaining("data_offsets [16, 48]")
        .hasMessageContaining("data section, which has 43 bytes");
  }

  @Test
  void aHeaderLengthPastTheEndOfTheFileIsRefused() throws Exception {
    byte[] bytes = file("{}", new byte[0]);
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 5000);
    Path p = write("long-header.safetensors", bytes);
    assertThatThrownBy(() -> Safetensors.open(p))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(p.toString())
        .hasMessageContaining("header length 5000 runs past the end of the file")
        .hasMessageContaining("expected at least 5008 bytes, found 10");
    Path tiny = write("tiny.safetensors", new byte[] {1, 2, 3});
    assertThatThrownBy(() -> Safetensors.open(tiny)).hasMessageContaining("at least 8 bytes").hasMessageContaining(
        "found 3 bytes");
    // A file that is not safetensors at all: its first 8 bytes read as an absurd header length.
    Path text = write("text.safetensors", "hello world, not a tensor file".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> Safetensors.open(text)).hasMessageContaining("not a safetensors file");
  }

  @Test
  void overlappingOffsetsNameBothTensors() throws Exception {
    String header = "{\"big\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]},"
        + "\"inside\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
    Path p = write("overlap.safetensors", file(header, new byte[20]));
    assertThatThrownBy(() -> Safetensors.open(p))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(p.toString())
        .hasMessageContaining("tensor 'inside': data_offsets [4, 12] overlap those of tensor 'big' [0, 16]");
  }

  @Test
  void anUnknownDtypeIsRefusedWithTheKnownOnes() throws Exception {
    String header = "{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    Path p = write("dtype.safetensors", file(header, new byte[4]));
    assertThatThrownBy(() -> Safetensors.open(p))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(p.toString())
        .hasMessageContaining("tensor 'w': unknown dtype \"F33\"")
        .hasMessageContaining("BF16");
  }

  @Test
  void aShapeThatDisagreesWithTheByteRangeIsRefused() throws Exception {
    String header = "{\"w\":{\"dtype\":\"F16\",\"shape\":[3,2],\"data_offsets\":[0,16]}}";
    Path p = write("size.safetensors", file(header, new byte[16]));
    assertThatThrownBy(() -> Safetensors.open(p))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("tensor 'w': shape [3, 2] of F16 needs 12 bytes (6 elements x 2)")
        .hasMessageContaining("hold 16");
  }

  @Test
  void malformedHeadersAreRefused() throws Exception {
    Path notJson = write("json.safetensors", file("{\"w\": [", new byte[0]));
    assertThatThrownBy(() -> Safetensors.open(notJson)).hasMessageContaining("header is not valid JSON");
    Path negative = write("neg.safetensors",
        file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]));
    assertThatThrownBy(() -> Safetensors.open(negative)).hasMessageContaining("non-negative integer dimensions");
    Path noOffsets = write("offs.safetensors", file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]));
    assertThatThrownBy(() -> Safetensors.open(noOffsets)).hasMessageContaining("'data_offsets' as [begin, end]");
    Path array = write("array.safetensors", file("[1, 2]", new byte[0]));
    assertThatThrownBy(() -> Safetensors.open(array)).hasMessageContaining("expected a JSON object as header");
  }

  @Test
  void aMissingFileIsNamed() {
    Path p = dir.resolve("absent.safetensors");
    assertThatThrownBy(() -> Safetensors.open(p)).isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(p.toString()).hasMessageContaining("no such file");
  }
}
