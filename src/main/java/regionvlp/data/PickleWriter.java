package regionvlp.data;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes the pickle that numpy 1.x {@code np.save} writes for a 0-d object array (protocol 3): {@code
 * numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')}, then {@code BUILD} with state {@code (1, (),
 * dtype('O8'), False, [value])}. Values may be a {@code Map} with {@code String} keys, {@code String}, {@code
 * Long}/{@code Integer}, {@code Double}, {@code Boolean}, null, or a numeric {@link NpyArray} ({@code <f4},
 * {@code <f8}, {@code <i8}), nested inside the map. The byte layout (globals, memo, dtype states) follows
 * CPython's pickler on numpy 1.x, so numpy 1.x and 2.x both load it.
 */
public final class PickleWriter {
  private static final int PROTOCOL = 3;
  private static final String RECONSTRUCT_MODULE = "numpy.core.multiarray";

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final Map<String, Integer> memo = new HashMap<>();
  private int nextMemo;

  private PickleWriter() {}

  /** Pickles a 0-d object ndarray whose single element is {@code value}. */
  public static byte[] objectScalar(Object value) {
    PickleWriter w = new PickleWriter();
    w.out.write(0x80);
    w.out.write(PROTOCOL);
    w.ndarrayHeader();
    // state (1, (), dtype('O8'), False, [value])
    w.out.write('(');
    w.out.write('K');
    w.out.write(1);
    w.out.write(')');
    w.dtype("|O");
    w.out.write(0x89);
    w.out.write(']');
    w.put();
    w.value(value);
    w.out.write('a');
    w.out.write('t');
    w.put();
    w.out.write('b');
    w.out.write('.');
    return w.out.toByteArray();
  }

  /**
   * Pickles a plain value (protocol 3), as {@code pickle.dump(value, f, protocol=3)} does: for example the
   * {@code {video id: caption index}} dict of MSR-VTT's {@code jsfusion_val_caption_idx.pkl}.
   */
  public static byte[] plain(Object value) {
    PickleWriter w = new PickleWriter();
    w.out.write(0x80);
    w.out.write(PROTOCOL);
    w.value(value);
    w.out.write('.');
    return w.out.toByteArray();
  }

  /** _reconstruct(ndarray, (0,), b'b'): the REDUCE leaves an empty array for BUILD to fill. */
  private void ndarrayHeader() {
    global(RECONSTRUCT_MODULE, "_reconstruct");
    global("numpy", "ndarray");
    out.write('K');
    out.write(0);
    out.write(0x85);
    put();
    bytes(new byte[] {'b'});
    out.write(0x87);
    put();
    out.write('R');
    put();
  }

  private void value(Object v) {
    if (v == null) {
      out.write('N');
    } else if (v instanceof Boolean b) {
      out.write(b ? 0x88 : 0x89);
    } else if (v instanceof String s) {
      string(s);
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      integer(((Number) v).longValue());
    } else if (v instanceof Double || v instanceof Float) {
      out.write('G');
      out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putDouble(((Number) v).doubleValue()).array());
    } else if (v instanceof NpyArray a) {
      array(a);
    } else if (v instanceof Map<?, ?> m) {
      dict(m);
    } else {
      throw new IllegalArgumentException(
          "PickleWriter supports Map, String, Long, Double, Boolean, null and NpyArray, found "
              + v.getClass().getName());
    }
  }

  private void dict(Map<?, ?> m) {
    out.write('}');
    put();
    if (m.isEmpty()) {
      return;
    }
    boolean batch = m.size() > 1;
    if (batch) {
      out.write('(');
    }
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String k)) {
        throw new IllegalArgumentException("dict keys must be strings, found " + e.getKey());
      }
      string(k);
      value(e.getValue());
    }
    out.write(batch ? 'u' : 's');
  }

  private void array(NpyArray a) {
    String descr = a.descr();
    if (!descr.equals("<f4") && !descr.equals("<f8") && !descr.equals("<i8")) {
      throw new IllegalArgumentException("PickleWriter arrays must be <f4, <f8 or <i8, found " + descr);
    }
    ndarrayHeader();
    out.write('(');
    out.write('K');
    out.write(1);
    long[] shape = a.shape();
    if (shape.length == 0) {
      out.write(')');
    } else {
      for (long d : shape) {
        integer(d);
      }
      if (shape.length <= 3) {
        out.write(0x84 + shape.length);
      } else {
        throw new IllegalArgumentException("PickleWriter arrays have at most 3 dimensions");
      }
      put();
    }
    dtype(descr);
    out.write(0x89);
    bytes(a.toBytes());
    out.write('t');
    put();
    out.write('b');
  }

  /** dtype(name, False, True) with BUILD state (3, order, None, None, None, -1, -1, flags), memoized. */
  private void dtype(String descr) {
    String key = "dtype " + descr;
    if (get(key)) {
      return;
    }
    global("numpy", "dtype");
    String order = descr.substring(0, 1);
    string(descr.equals("|O") ? "O8" : descr.substring(1));
    out.write(0x89);
    out.write(0x88);
    out.write(0x87);
    put();
    out.write('R');
    putAs(key);
    out.write('(');
    out.write('K');
    out.write(3);
    if (!get("str " + order)) {
      string(order);
      memo.put("str " + order, nextMemo - 1);
    }
    out.write('N');
    out.write('N');
    out.write('N');
    integer(-1);
    integer(-1);
    integer(descr.equals("|O") ? 63 : 0);
    out.write('t');
    put();
    out.write('b');
  }

  private void global(String module, String name) {
    String key = "global " + module + "." + name;
    if (get(key)) {
      return;
    }
    out.write('c');
    out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
    putAs(key);
  }

  private void string(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.write('X');
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
    out.writeBytes(b);
    put();
  }

  private void bytes(byte[] b) {
    if (b.length < 256) {
      out.write('C');
      out.write(b.length);
    } else {
      out.write('B');
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
    }
    out.writeBytes(b);
    put();
  }

  private void integer(long v) {
    if (v >= 0 && v < 256) {
      out.write('K');
      out.write((int) v);
    } else if (v >= 0 && v < 65536) {
      out.write('M');
      out.write((int) (v & 0xff));
      out.write((int) (v >>> 8));
    } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      out.write('J');
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    } else {
      byte[] be = BigInteger.valueOf(v).toByteArray();
      out.write(0x8a);
      out.write(be.length);
      for (int i = be.length - 1; i >= 0; i--) {
        out.write(be[i]);
      }
    }
  }

  private void put() {
    int i = nextMemo++;
    if (i < 256) {
      out.write('q');
      out.write(i);
    } else {
      out.write('r');
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(i).array());
    }
  }

  private void putAs(String key) {
    memo.put(key, nextMemo);
    put();
  }

  private boolean get(String key) {
    Integer i = memo.get(key);
    if (i == null) {
      return false;
    }
    if (i < 256) {
      out.write('h');
      out.write(i);
    } else {
      out.write('j');
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(i).array());
    }
    return true;
  }
}
