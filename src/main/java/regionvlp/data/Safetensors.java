package regionvlp.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, an N-byte JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}}, then the raw
 * little-endian tensor bytes. Only F32 is written; F32, F16 and BF16 are read (as float32).
 *
 * <p>The reader checks the header against the file: the header length against the file size, every
 * tensor's byte range against the data section and against its dtype and shape, and overlaps.
 */
public final class Safetensors {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final long MAX_HEADER = 100L << 20;

  private Safetensors() {}

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
   * Reads a safetensors file.
   *
   * @throws InvalidInputFileException if the file is missing, truncated or its header is inconsistent
   */
  public static Contents read(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw new InvalidInputFileException(file, "expected a safetensors file of at least 8 bytes, found " + size);
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0);
      long headerLen = lenBuf.flip().getLong();
      if (headerLen < 2 || headerLen > MAX_HEADER || 8 + headerLen > size) {
        throw new InvalidInputFileException(file, "header length " + headerLen + " does not fit a file of "
            + size + " bytes");
      }
      ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
      readFully(ch, hb, 8);
      JsonNode header;
      try {
        header = MAPPER.readTree(new String(hb.array(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new InvalidInputFileException(file, "header is not valid JSON: " + e.getMessage());
      }
      long dataStart = 8 + headerLen;
      long dataLen = size - dataStart;
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = header.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) {
          e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
          continue;
        }
        tensors.put(e.getKey(), readTensor(file, ch, e.getKey(), e.getValue(), dataStart, dataLen));
      }
      return new Contents(tensors, metadata);
    } catch (NoSuchFileException e) {
      throw new InvalidInputFileException(file, "no such file");
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  private static Tensor readTensor(Path file, FileChannel ch, String name, JsonNode t, long dataStart,
      long dataLen) throws IOException {
    String dtype = t.path("dtype").asText("");
    int width = switch (dtype) {
      case "F32" -> 4;
      case "F16", "BF16" -> 2;
      default -> throw new InvalidInputFileException(file, "tensor '" + name + "': expected dtype F32, F16 or BF16, found '" + dtype + "'");
    };
    JsonNode shapeNode = t.path("shape");
    JsonNode offs = t.path("data_offsets");
    if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
      throw new InvalidInputFileException(file, "tensor '" + name + "': expected shape and data_offsets [begin, end]");
    }
    long[] shape = new long[shapeNode.size()];
    long n = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = shapeNode.get(i).asLong(-1);
      if (shape[i] < 0) {
        throw new InvalidInputFileException(file, "tensor '" + name + "': negative or non-integer dimension");
      }
      n *= shape[i];
    }
    long begin = offs.get(0).asLong(-1);
    long end = offs.get(1).asLong(-1);
    if (begin < 0 || end < begin || end > dataLen) {
      throw new InvalidInputFileException(file, "tensor '" + name + "': data_offsets [" + begin + ", " + end
          + "] outside the data section of " + dataLen + " bytes");
    }
    if (end - begin != n * width) {
      throw new InvalidInputFileException(file, "tensor '" + name + "': " + dtype + " shape needs " + (n * width)
          + " bytes, data_offsets give " + (end - begin));
    }
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(end - begin)).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, buf, dataStart + begin);
    buf.flip();
    float[] values = new float[Math.toIntExact(n)];
    if (width == 4) {
      buf.asFloatBuffer().get(values);
    } else {
      for (int i = 0; i < values.length; i++) {
        short h = buf.getShort();
        values[i] = dtype.equals("BF16") ? Float.intBitsToFloat((h & 0xffff) << 16) : NpyArray.halfToFloat(h);
      }
    }
    return new Tensor(shape, values);
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int r = ch.read(buf, pos);
      if (r < 0) {
        throw new IOException("unexpected end of file at byte " + pos);
      }
      pos += r;
    }
  }
}
