package regionvlp.data;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Hand-assembles pickle opcodes for tests (no Python needed). */
final class PickleBytes {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  PickleBytes op(int... bytes) {
    for (int b : bytes) {
      out.write(b);
    }
    return this;
  }

  PickleBytes text(String s) {
    out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  /** BINUNICODE. */
  PickleBytes str(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write('X');
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
    out.writeBytes(b);
    return this;
  }

  /** SHORT_BINUNICODE (protocol 4). */
  PickleBytes shortStr(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write(0x8c);
    out.write(b.length);
    out.writeBytes(b);
    return this;
  }

  PickleBytes raw(byte[] b) {
    out.writeBytes(b);
    return this;
  }

  byte[] bytes() {
    return out.toByteArray();
  }

  /** An npz whose entries are the given raw .npy images. */
  static byte[] zip(Map<String, byte[]> entries) throws java.io.IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(b)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        z.putNextEntry(new ZipEntry(e.getKey()));
        z.write(e.getValue());
        z.closeEntry();
      }
    }
    return b.toByteArray();
  }
}
