package regionvlp.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NpyTest {
  private static final Path FILE = Path.of("feats/a.npy");

  /** A .npy image with the given header dict text (version 1.0 or 2.0) followed by {@code data}. */
  private static byte[] npy(int major, String dict, byte[] data) {
    byte[] h = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
    int prefix = major == 1 ? 10 : 12;
    ByteBuffer b = ByteBuffer.allocate(prefix + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
    if (major == 1) {
      b.putShort((short) h.length);
    } else {
      b.putInt(h.length);
    }
    b.put(h).put(data);
    return b.array();
  }

  private static byte[] le(int bytesPer, long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * bytesPer).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      switch (bytesPer) {
        case 1 -> b.put((byte) v);
        case 2 -> b.putShort((short) v);
        case 4 -> b.putInt((int) v);
        default -> b.putLong(v);
      }
    }
    return b.array();
  }

  @Test
  void writerOutputRoundTripsAndHasAlignedHeader() {
    NpyArray f4 = NpyArray.ofFloats(new float[] {1f, -2.5f, 3f, 4f, 5f, 6f}, 2, 3);
    NpyArray f8 = NpyArray.ofDoubles(new double[] {Math.PI}, 1);
    NpyArray i8 = NpyArray.ofLongs(new long[] {Long.MIN_VALUE, 7}, 2);
    NpyArray scalar = NpyArray.ofLongs(new long[] {42});
    for (NpyArray a : new NpyArray[] {f4, f8, i8, scalar}) {
      byte[] bytes = Npy.toBytes(a);
      Npy.Header h = Npy.parseHeader(bytes, FILE, "");
      assertThat(h.dataOffset() % 64).as("header of %s padded to 64", a).isZero();
      assertThat(Npy.read(bytes, FILE, null)).isEqualTo(a);
    }
    String header = new String(Npy.toBytes(i8), 10, 60, StandardCharsets.ISO_8859_1);
    assertThat(header).startsWith("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }");
    assertThat(new String(Npy.toBytes(scalar), 10, 60, StandardCharsets.ISO_8859_1)).contains("'shape': (), }");
  }

  @Test
  void readsAllSupportedDtypesAndConverts() {
    NpyArray i4 = (NpyArray) Npy.read(npy(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", le(4, -1, 0, 9)), FILE, null);
    assertThat(i4.toLongArray()).containsExactly(-1, 0, 9);
    assertThat(i4.toFloatArray()).containsExactly(-1f, 0f, 9f);
    NpyArray u1 = (NpyArray) Npy.read(npy(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", le(1, 255, 3)), FILE, null);
    assertThat(u1.toLongArray()).containsExactly(255, 3);
    NpyArray b1 = (NpyArray) Npy.read(npy(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", le(1, 1, 0)), FILE, null);
    assertThat(b1.toLongArray()).containsExactly(1, 0);
    // float16: 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800, smallest subnormal 0x0001
    NpyArray f2 = (NpyArray) Npy.read(npy(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", le(2, 0x3c00, 0xc000, 0x3800, 1)), FILE, null);
    assertThat(f2.toFloatArray()).containsExactly(1f, -2f, 0.5f, 0x1p-24f);
    NpyArray f8 = (NpyArray) Npy.read(npy(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", le(8, Double.doubleToLongBits(0.1))), FILE, null);
    assertThat(f8.toFloatArray()).containsExactly(0.1f);
    assertThat(f8.shape()).containsExactly(1, 1);
    NpyArray i8 = (NpyArray) Npy.read(npy(3, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", le(8, 5, -6)), FILE, null);
    assertThat(i8.toLongArray()).containsExactly(5, -6);
    assertThat(i8.toFloatArray()).containsExactly(5f, -6f);
  }

  @Test
  void fortranOrderIsRejected() {
    byte[] b = npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]);
    assertThatThrownBy(() -> Npy.read(b, FILE, "x.npy"))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(FILE.toString())
        .hasMessageContaining("entry 'x.npy'")
        .hasMessageContaining("fortran_order=True is not supported");
  }

  @Test
  void bigEndianIsRejected() {
    byte[] b = npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", new byte[8]);
    assertThatThrownBy(() -> Npy.read(b, FILE, null))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("big-endian dtype >f4");
  }

  @Test
  void truncatedDataGivesExpectedAndFoundBytes() {
    byte[] full = Npy.toBytes(NpyArray.ofFloats(new float[6], 2, 3));
    byte[] cut = Arrays.copyOf(full, full.length - 5);
    assertThatThrownBy(() -> Npy.read(cut, FILE, null))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("<f4 [2, 3]: truncated data: expected 24 bytes, found 19");
  }

  @Test
  void malformedHeaderAndMagicAreRejected() {
    assertThatThrownBy(() -> Npy.read("hello world, no magic".getBytes(StandardCharsets.US_ASCII), FILE, null))
        .hasMessageContaining("expected magic");
    byte[] noShape = npy(1, "{'descr': '<f4', 'fortran_order': False, }", new byte[0]);
    assertThatThrownBy(() -> Npy.read(noShape, FILE, null)).hasMessageContaining("expected keys descr");
    byte[] garbage = npy(1, "{'descr': '<f4', 'fortran_order': Nope, 'shape': (1,), }", new byte[4]);
    assertThatThrownBy(() -> Npy.read(garbage, FILE, null)).hasMessageContaining("malformed .npy header");
    byte[] hugeLen = npy(2, "{}", new byte[0]);
    hugeLen[8] = (byte) 0xff;
    hugeLen[9] = (byte) 0xff;
    assertThatThrownBy(() -> Npy.read(hugeLen, FILE, null)).hasMessageContaining("truncated .npy header");
  }

  @Test
  void objectArrayPayloadGoesThroughTheUnpickler() {
    byte[] b = Npy.objectScalarBytes(PickleWriter.objectScalar(java.util.Map.of("k", 3L)));
    Object v = Npy.read(b, FILE, "info.npy");
    assertThat(v).isInstanceOf(PyObjectArray.class);
    assertThat(((PyObjectArray) v).item()).isEqualTo(java.util.Map.of("k", 3L));
  }
}
