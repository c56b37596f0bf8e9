package regionvlp.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, an N-byte UTF-8 JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}}, then the raw
 * little-endian tensor bytes; offsets are relative to the start of that data section. Only F32 is written;
 * F32, F16, BF16 and F64 are read as float32 values.
 *
 * <p>{@link #open} checks the whole header against the file before any tensor is read: the header length
 * against the file size, every dtype against the known ones, every shape times its dtype's width against
 * the tensor's byte range, every range against the data section, and that no two ranges overlap. Each
 * failure is an {@link InvalidInputFileException} naming the file, the tensor, what was expected and what
 * was found. Gaps between tensors and bytes after the last one are tolerated (they carry no meaning).
 */
public final class Safetensors {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** The reference implementation's limit on the header size (100 MB). */
  private static final long MAX_HEADER = 100L << 20;
  /** Bytes read per call when converting a tensor; keeps the temporary buffer small for big embeddings. */
  private static final int READ_CHUNK = 1 << 24;

  private Safetensors() {}

  /** The element types the format defines, with their widths in bytes. */
  public enum Dtype {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4),
    F64(8), I64(8), U64(8);

    private final int width;

    Dtype(int width) {
      this.width = width;
    }

    /** Bytes per element. */
    public int width() {
      return width;
    }

    /** Whether {@link Reader#tensor} can return this dtype's values as float32 without losing meaning. */
    public boolean isFloat() {
      return this == F32 || this == F16 || this == BF16 || this == F64;
    }
  }

  /** A float32 tensor: shape and row-major values. */
  public record Tensor(long[] shape, float[] values) {
    public Tensor {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      if (n != values.length) {
        throw new IllegalArgumentException("shape product " + n + " != " + values.length + " values");
      }
    }
  }

  /** File contents: tensors in file order plus string metadata. */
  public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

  /**
   * One header entry, already checked against the file.
   *
   * @param begin first byte, relative to the data section
   * @param end one past the last byte
   */
  public record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {
    /** Number of elements (the product of the shape). */
    public long count() {
      return (end - begin) / dtype.width();
    }

    /** The shape as {@code [a, b]}. */
    public String shapeString() {
      return shapeString(shape);
    }

    /** Formats a shape as {@code [a, b]}. */
    public static String shapeString(long[] shape) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < shape.length; i++) {
        sb.append(i == 0 ? "" : ", ").append(shape[i]);
      }
      return sb.append(']').toString();
    }
  }

  /** Serialises tensors (in map order) and metadata to the safetensors byte layout. */
  public static byte[] toBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
    ObjectNode header = MAPPER.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", "F32");
      ArrayNode shape = t.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      long bytes = 4L * e.getValue().values().length;
      t.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    int pad = (8 - json.length % 8) % 8; // align the data section to 8 bytes, spaces are valid JSON
    int headerLen = json.length + pad;
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(8 + headerLen + offset)).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(headerLen).put(json);
    for (int i = 0; i < pad; i++) {
      buf.put((byte) ' ');
    }
    for (Tensor t : tensors.values()) {
      buf.asFloatBuffer().put(t.values());
      buf.position(buf.position() + 4 * t.values().length);
    }
    return buf.array();
  }

  /**
   * Reads every tensor of a file as float32.
   *
   * @throws InvalidInputFileException if the file is missing, truncated, its header is inconsistent, or a
   *     tensor has a non-float dtype
   */
  public static Contents read(Path file) {
    try (Reader r = open(file)) {
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (String name : r.entries().keySet()) {
        tensors.put(name, r.tensor(name));
      }
      return new Contents(tensors, r.metadata());
    }
  }

  /**
   * Opens a file and validates its header (see the class comment); tensors are read on demand.
   *
   * @throws InvalidInputFileException if the file is missing or its header is inconsistent with the file
   */
  public static Reader open(Path file) {
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new InvalidInputFileException(file, "no such file");
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
    }
    try {
      return new Reader(file, ch);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  /** An open, validated file. Close it to release the file handle. */
  public static final class Reader implements AutoCloseable {
    private final Path file;
    private final FileChannel ch;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private Reader(Path file, FileChannel ch) {
      this.file = file;
      this.ch = ch;
      try {
        long size = ch.size();
        if (size < 8) {
          throw new InvalidInputFileException(file,
              "expected a safetensors file of at least 8 bytes (the header length), found " + size + " bytes");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(lenBuf, 0);
        long headerLen = lenBuf.flip().getLong();
        if (headerLen < 2 || headerLen > MAX_HEADER) {
          throw new InvalidInputFileException(file, String.format(Locale.ROOT,
              "header length %d (first 8 bytes, little-endian) is not in [2, %d]: not a safetensors file",
              headerLen, MAX_HEADER));
        }
        if (8 + headerLen > size) {
          throw new InvalidInputFileException(file, String.format(Locale.ROOT,
              "header length %d runs past the end of the file: expected at least %d bytes, found %d "
                  + "(truncated?)", headerLen, 8 + headerLen, size));
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(hb, 8);
        this.dataStart = 8 + headerLen;
        this.metadata = new LinkedHashMap<>();
        this.entries = parseHeader(hb.array(), size - dataStart);
      } catch (IOException e) {
        throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
      }
    }

    /** The file this reader reads. */
    public Path file() {
      return file;
    }

    /** Every tensor's header entry, in header order (read-only). */
    public Map<String, Entry> entries() {
      return Collections.unmodifiableMap(entries);
    }

    /** The {@code __metadata__} strings (read-only, empty when absent). */
    public Map<String, String> metadata() {
      return Collections.unmodifiableMap(metadata);
    }

    /**
     * Reads one tensor as float32 (F16, BF16 and F64 are converted).
     *
     * @throws InvalidInputFileException if the file has no such tensor, or its dtype is not a float type
     */
    public Tensor tensor(String name) {
      Entry e = entries.get(name);
      if (e == null) {
        throw new InvalidInputFileException(file, "no tensor named '" + name + "'");
      }
      if (!e.dtype().isFloat()) {
        throw new InvalidInputFileException(file, "tensor '" + name + "': expected a float dtype (F32, F16, "
            + "BF16 or F64) for weights, found " + e.dtype());
      }
      long count = e.count();
      if (count > Integer.MAX_VALUE - 8) {
        throw new InvalidInputFileException(file, "tensor '" + name + "': " + count
            + " values, more than one Java array can hold");
      }
      float[] values = new float[(int) count];
      int width = e.dtype().width();
      int perChunk = READ_CHUNK / width;
      try {
        for (int start = 0; start < values.length; start += perChunk) {
          int n = Math.min(perChunk, values.length - start);
          ByteBuffer buf = ByteBuffer.allocate(n * width).order(ByteOrder.LITTLE_ENDIAN);
          readFully(buf, dataStart + e.begin() + (long) start * width);
          buf.flip();
          decode(e.dtype(), buf, values, start, n);
        }
      } catch (IOException ex) {
        throw new InvalidInputFileException(file, "cannot read tensor '" + name + "': " + ex.getMessage(), ex);
      }
      return new Tensor(e.shape().clone(), values);
    }

    @Override
    public void close() {
      closeQuietly(ch);
    }

    private Map<String, Entry> parseHeader(byte[] bytes, long dataLen) {
      String text;
      try {
        text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
      } catch (CharacterCodingException ex) {
        throw new InvalidInputFileException(file, "header is not valid UTF-8: not a safetensors file");
      }
      JsonNode header;
      try {
        header = MAPPER.readTree(text);
      } catch (JsonProcessingException ex) {
        throw new InvalidInputFileException(file, "header is not valid JSON: " + ex.getOriginalMessage());
      }
      if (header == null || !header.isObject()) {
        throw new InvalidInputFileException(file, "expected a JSON object as header, found "
            + (header == null ? "nothing" : header.getNodeType()));
      }
      Map<String, Entry> out = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = header.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) {
          if (!e.getValue().isObject()) {
            throw new InvalidInputFileException(file, "__metadata__: expected an object of strings, found "
                + e.getValue().getNodeType());
          }
          e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
          continue;
        }
        out.put(e.getKey(), entry(e.getKey(), e.getValue(), dataLen));
      }
      List<Entry> byOffset = new ArrayList<>(out.values());
      byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
      Entry furthest = null; // the entry reaching furthest so far, so that any earlier range is compared
      for (Entry cur : byOffset) {
        if (cur.end() == cur.begin()) {
          continue; // empty tensors occupy no bytes
        }
        if (furthest != null && cur.begin() < furthest.end()) {
          throw new InvalidInputFileException(file, String.format(Locale.ROOT,
              "tensor '%s': data_offsets [%d, %d] overlap those of tensor '%s' [%d, %d]; expected disjoint "
                  + "byte ranges", cur.name(), cur.begin(), cur.end(), furthest.name(), furthest.begin(),
              furthest.end()));
        }
        if (furthest == null || cur.end() > furthest.end()) {
          furthest = cur;
        }
      }
      return out;
    }

    private Entry entry(String name, JsonNode t, long dataLen) {
      String where = "tensor '" + name + "'";
      if (!t.isObject()) {
        throw new InvalidInputFileException(file, where + ": expected an object {dtype, shape, data_offsets}, "
            + "found " + t.getNodeType());
      }
      JsonNode dtypeNode = t.path("dtype");
      Dtype dtype;
      try {
        dtype = Dtype.valueOf(dtypeNode.asText(""));
      } catch (IllegalArgumentException ex) {
        throw new InvalidInputFileException(file, where + ": unknown dtype " + dtypeNode
            + "; expected one of " + java.util.Arrays.toString(Dtype.values()));
      }
      JsonNode shapeNode = t.path("shape");
      if (!shapeNode.isArray()) {
        throw new InvalidInputFileException(file, where + ": expected 'shape' as an array of integers, found "
            + shapeNode);
      }
      long[] shape = new long[shapeNode.size()];
      long count = 1;
      for (int i = 0; i < shape.length; i++) {
        JsonNode d = shapeNode.get(i);
        if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
          throw new InvalidInputFileException(file, where + ": expected non-negative integer dimensions, "
              + "found shape " + shapeNode);
        }
        shape[i] = d.asLong();
        try {
          count = Math.multiplyExact(count, shape[i]);
        } catch (ArithmeticException ex) {
          throw new InvalidInputFileException(file, where + ": shape " + shapeNode + " overflows");
        }
      }
      JsonNode offs = t.path("data_offsets");
      if (!offs.isArray() || offs.size() != 2 || !offs.get(0).isIntegralNumber()
          || !offs.get(1).isIntegralNumber() || !offs.get(0).canConvertToLong() || !offs.get(1).canConvertToLong()) {
        throw new InvalidInputFileException(file, where + ": expected 'data_offsets' as [begin, end] integers, "
            + "found " + offs);
      }
      long begin = offs.get(0).asLong();
      long end = offs.get(1).asLong();
      if (begin < 0 || end < begin || end > dataLen) {
        throw new InvalidInputFileException(file, String.format(Locale.ROOT,
            "%s: data_offsets [%d, %d] are outside the data section, which has %d bytes (expected 0 <= begin "
                + "<= end <= %d; truncated file?)", where, begin, end, dataLen, dataLen));
      }
      long expected;
      try {
        expected = Math.multiplyExact(count, dtype.width());
      } catch (ArithmeticException ex) {
        throw new InvalidInputFileException(file, where + ": shape " + shapeNode + " overflows");
      }
      if (end - begin != expected) {
        throw new InvalidInputFileException(file, String.format(Locale.ROOT,
            "%s: shape %s of %s needs %d bytes (%d elements x %d), but data_offsets [%d, %d] hold %d", where,
            Entry.shapeString(shape), dtype, expected, count, dtype.width(), begin, end, end - begin));
      }
      return new Entry(name, dtype, shape, begin, end);
    }

    private void readFully(ByteBuffer buf, long pos) throws IOException {
      while (buf.hasRemaining()) {
        int r = ch.read(buf, pos);
        if (r < 0) {
          throw new IOException("unexpected end of file at byte " + pos);
        }
        pos += r;
      }
    }
  }

  private static void decode(Dtype dtype, ByteBuffer buf, float[] out, int offset, int n) {
    switch (dtype) {
      case F32 -> buf.asFloatBuffer().get(out, offset, n);
      case F64 -> {
        for (int i = 0; i < n; i++) {
          out[offset + i] = (float) buf.getDouble();
        }
      }
      case F16 -> {
        for (int i = 0; i < n; i++) {
          out[offset + i] = NpyArray.halfToFloat(buf.getShort());
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          out[offset + i] = Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
        }
      }
      default -> throw new IllegalStateException("not a float dtype: " + dtype);
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // Read-only channel: nothing was written that closing could lose.
    }
  }
}
