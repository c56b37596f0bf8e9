package regionvlp.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reader and writer of numpy {@code .npy} files, format versions 1.0, 2.0 and 3.0.
 *
 * <p>Numeric arrays come back as {@link NpyArray}. An object array ({@code descr '|O'}) is a pickle; it is
 * decoded by {@link SafeUnpickler}, which executes nothing, and the unpickled value (normally a {@link
 * PyObjectArray}) is returned. Fortran order and big-endian data are rejected.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

  private Npy() {}

  /** The parsed header of a {@code .npy} file. */
  public record Header(String descr, boolean fortranOrder, long[] shape, int dataOffset) {
    @Override
    public long[] shape() {
      return shape.clone();
    }
  }

  /** Reads a {@code .npy} file; see {@link #read(byte[], Path, String)}. */
  public static Object read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read .npy file: " + e, e);
    }
    return read(bytes, file, null);
  }

  /**
   * Parses one {@code .npy} image.
   *
   * @param file the file the bytes came from, for messages
   * @param entry the zip entry name when the bytes come from an npz, else null
   * @return an {@link NpyArray}, or for {@code '|O'} the value the pickle describes
   * @throws InvalidInputFileException on any malformed, truncated or unsupported content
   */
  public static Object read(byte[] bytes, Path file, String entry) {
    String where = entry == null ? "" : "entry '" + entry + "': ";
    Header h = parseHeader(bytes, file, where);
    if (h.fortranOrder()) {
      throw new InvalidInputFileException(
          file,
          where + "fortran_order=True is not supported; expected C order (save with np.ascontiguousarray)");
    }
    if (h.descr().equals("|O")) {
      byte[] pickle = Arrays.copyOfRange(bytes, h.dataOffset(), bytes.length);
      return SafeUnpickler.load(pickle, file, where + "object array pickle");
    }
    int item;
    long count;
    try {
      item = NpyArray.itemSize(h.descr());
      count = NpyArray.elementCount(h.shape);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new InvalidInputFileException(file, where + e.getMessage(), e);
    }
    long expected = count * (long) item; // count <= Long.MAX/8 checked below by comparison only
    if (count > Long.MAX_VALUE / 8) {
      throw new InvalidInputFileException(file, where + "absurd shape " + Arrays.toString(h.shape));
    }
    long found = bytes.length - (long) h.dataOffset();
    if (found != expected) {
      throw new InvalidInputFileException(
          file,
          String.format(
              Locale.ROOT,
              "%s%s %s: %s data: expected %d bytes, found %d",
              where,
              h.descr(),
              Arrays.toString(h.shape),
              found < expected ? "truncated" : "trailing",
              expected,
              found));
    }
    return new NpyArray(h.descr(), h.shape, ByteBuffer.wrap(bytes, h.dataOffset(), (int) expected));
  }

  /** Parses magic, version and header dict. */
  public static Header parseHeader(byte[] b, Path file, String where) {
    if (b.length < 10 || !Arrays.equals(Arrays.copyOf(b, 6), MAGIC)) {
      throw new InvalidInputFileException(
          file, where + "not a .npy array: expected magic \\x93NUMPY, found " + b.length + " bytes without it");
    }
    int major = b[6] & 0xff;
    int headerLen;
    int start;
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    if (major == 1) {
      headerLen = bb.getShort(8) & 0xffff;
      start = 10;
    } else if (major == 2 || major == 3) {
      if (b.length < 12) {
        throw new InvalidInputFileException(file, where + "truncated .npy header");
      }
      long len = bb.getInt(8) & 0xffffffffL;
      if (len > b.length - 12L) {
        throw new InvalidInputFileException(
            file, where + "truncated .npy header: expected " + len + " bytes, found " + (b.length - 12));
      }
      headerLen = (int) len;
      start = 12;
    } else {
      throw new InvalidInputFileException(
          file, where + "unsupported .npy version " + major + "." + (b[7] & 0xff) + "; expected 1.0, 2.0 or 3.0");
    }
    if (start + (long) headerLen > b.length) {
      throw new InvalidInputFileException(
          file,
          where + "truncated .npy header: expected " + headerLen + " bytes, found " + (b.length - start));
    }
    String text =
        new String(b, start, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Map<String, Object> dict;
    try {
      Object parsed = new LiteralParser(text).parseTop();
      if (!(parsed instanceof Map)) {
        throw new IllegalArgumentException("header is not a dict");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) parsed;
      dict = m;
    } catch (IllegalArgumentException e) {
      throw new InvalidInputFileException(
          file, where + "malformed .npy header " + quote(text) + ": " + e.getMessage(), e);
    }
    Object descr = dict.get("descr");
    Object fortran = dict.get("fortran_order");
    Object shape = dict.get("shape");
    if (!(descr instanceof String) || !(fortran instanceof Boolean) || !(shape instanceof List)) {
      throw new InvalidInputFileException(
          file,
          where + "malformed .npy header: expected keys descr (str), fortran_order (bool), shape (tuple), found "
              + quote(text));
    }
    List<?> dims = (List<?>) shape;
    long[] s = new long[dims.size()];
    for (int i = 0; i < s.length; i++) {
      if (!(dims.get(i) instanceof Long d) || d < 0) {
        throw new InvalidInputFileException(
            file, where + "malformed .npy shape " + dims + ": expected non-negative integers");
      }
      s[i] = d;
    }
    String d = (String) descr;
    if (d.equals("<b1") || d.equals(">b1")) {
      d = "|b1";
    } else if (d.equals("<u1") || d.equals(">u1")) {
      d = "|u1";
    } else if (d.equals("<i1") || d.equals(">i1")) {
      d = "|i1";
    }
    return new Header(d, (Boolean) fortran, s, start + headerLen);
  }

  private static String quote(String s) {
    String t = s.strip();
    return "'" + (t.length() > 200 ? t.substring(0, 200) + "..." : t) + "'";
  }

  private static final java.util.List<String> WRITABLE = java.util.List.of("<f2", "<f4", "<f8", "<i4", "<i8", "|u1");

  /** Serializes a numeric array as a {@code .npy} image (version 1.0 when the header fits). */
  public static byte[] toBytes(NpyArray a) {
    String descr = a.descr();
    if (!WRITABLE.contains(descr)) {
      throw new IllegalArgumentException("writer supports " + WRITABLE + ", found " + descr);
    }
    byte[] header = header(descr, a.shape());
    byte[] data = a.toBytes();
    byte[] out = Arrays.copyOf(header, header.length + data.length);
    System.arraycopy(data, 0, out, header.length, data.length);
    return out;
  }

  /** Serializes a 0-d object array whose payload is the given pickle (as {@code np.save} does). */
  public static byte[] objectScalarBytes(byte[] pickle) {
    byte[] header = header("|O", new long[0]);
    byte[] out = Arrays.copyOf(header, header.length + pickle.length);
    System.arraycopy(pickle, 0, out, header.length, pickle.length);
    return out;
  }

  /** Writes a numeric array to a {@code .npy} file (not atomically). */
  public static void write(Path file, NpyArray a) throws IOException {
    Files.write(file, toBytes(a));
  }

  /**
   * A version 1.0 header of exactly {@code totalLength} bytes (magic to the closing newline), so that a
   * writer can reserve the header before it knows the first dimension and rewrite it in place later.
   *
   * @param totalLength a multiple of 64, as numpy aligns its headers
   * @throws IllegalArgumentException when the header does not fit
   */
  static byte[] fixedHeader(String descr, long[] shape, int totalLength) {
    byte[] natural = header(descr, shape);
    if (totalLength % 64 != 0 || natural[6] != 1 || natural.length > totalLength) {
      throw new IllegalArgumentException("a .npy header for " + descr + " " + Arrays.toString(shape)
          + " needs " + natural.length + " bytes, more than the " + totalLength + " reserved");
    }
    byte[] out = new byte[totalLength];
    Arrays.fill(out, (byte) ' ');
    System.arraycopy(natural, 0, out, 0, natural.length - 1); // without its newline
    out[totalLength - 1] = '\n';
    int hlen = totalLength - 10;
    out[8] = (byte) (hlen & 0xff);
    out[9] = (byte) ((hlen >>> 8) & 0xff);
    return out;
  }

  /**
   * The header of a C-order {@code .npy} file (magic, version, padded dict), for writers that stream the
   * data after it.
   */
  public static byte[] header(String descr, long[] shape) {
    StringBuilder s = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      s.append(shape[i]).append(shape.length == 1 ? "," : (i + 1 < shape.length ? ", " : ""));
    }
    s.append(')');
    String dict =
        "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + s + ", }";
    // numpy pads with spaces so that magic + version + length + header is a multiple of 64, ending in \n.
    int prefix = 10;
    int total = prefix + dict.length() + 1;
    int padded = (total + 63) / 64 * 64;
    boolean v2 = padded - prefix > 0xffff;
    if (v2) {
      prefix = 12;
      total = prefix + dict.length() + 1;
      padded = (total + 63) / 64 * 64;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(padded);
    out.writeBytes(MAGIC);
    out.write(v2 ? 2 : 1);
    out.write(0);
    int hlen = padded - prefix;
    out.write(hlen & 0xff);
    out.write((hlen >>> 8) & 0xff);
    if (v2) {
      out.write((hlen >>> 16) & 0xff);
      out.write((hlen >>> 24) & 0xff);
    }
    out.writeBytes(dict.getBytes(StandardCharsets.ISO_8859_1));
    for (int i = total; i < padded; i++) {
      out.write(' ');
    }
    out.write('\n');
    return out.toByteArray();
  }

  /** Parser for the tiny Python-literal subset used by .npy headers: dict, str, bool, int, tuple. */
  private static final class LiteralParser {
    private final String s;
    private int pos;
    private int depth;

    LiteralParser(String s) {
      this.s = s;
    }

    Object parseTop() {
      Object v = value();
      skipWs();
      if (pos != s.length()) {
        throw new IllegalArgumentException("unexpected text at offset " + pos);
      }
      return v;
    }

    private void skipWs() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }

    private char peek() {
      skipWs();
      if (pos >= s.length()) {
        throw new IllegalArgumentException("unexpected end of header");
      }
      return s.charAt(pos);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw new IllegalArgumentException("expected '" + c + "' at offset " + pos + ", found '" + s.charAt(pos) + "'");
      }
      pos++;
    }

    private Object value() {
      if (++depth > 16) {
        throw new IllegalArgumentException("nesting too deep");
      }
      try {
        char c = peek();
        if (c == '{') {
          pos++;
          Map<String, Object> m = new LinkedHashMap<>();
          while (peek() != '}') {
            Object k = value();
            if (!(k instanceof String key)) {
              throw new IllegalArgumentException("dict key must be a string at offset " + pos);
            }
            expect(':');
            m.put(key, value());
            if (peek() == ',') {
              pos++;
            } else if (peek() != '}') {
              throw new IllegalArgumentException("expected ',' or '}' at offset " + pos);
            }
          }
          pos++;
          return m;
        }
        if (c == '(' || c == '[') {
          char close = c == '(' ? ')' : ']';
          pos++;
          List<Object> items = new ArrayList<>();
          while (peek() != close) {
            items.add(value());
            if (peek() == ',') {
              pos++;
            } else if (peek() != close) {
              throw new IllegalArgumentException("expected ',' or '" + close + "' at offset " + pos);
            }
          }
          pos++;
          return items;
        }
        if (c == '\'' || c == '"') {
          int end = s.indexOf(c, pos + 1);
          if (end < 0) {
            throw new IllegalArgumentException("unterminated string at offset " + pos);
          }
          String str = s.substring(pos + 1, end);
          pos = end + 1;
          return str;
        }
        if (s.startsWith("True", pos)) {
          pos += 4;
          return Boolean.TRUE;
        }
        if (s.startsWith("False", pos)) {
          pos += 5;
          return Boolean.FALSE;
        }
        int start = pos;
        if (c == '-') {
          pos++;
        }
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
          pos++;
        }
        if (pos < s.length() && s.charAt(pos) == 'L') {
          pos++; // Python 2 long suffix
        }
        String num = s.substring(start, pos).replace("L", "");
        if (num.isEmpty() || num.equals("-")) {
          throw new IllegalArgumentException("unexpected '" + c + "' at offset " + start);
        }
        try {
          return Long.parseLong(num);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("integer out of range: " + num);
        }
      } finally {
        depth--;
      }
    }
  }
}
