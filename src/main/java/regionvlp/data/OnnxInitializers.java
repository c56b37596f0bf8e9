package regionvlp.data;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the float32 weights (initializers) of an ONNX model, with the protobuf wire format read by
 * protobuf-java's {@link CodedInputStream}; no generated classes are needed. Field numbers:
 * ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto.input = 1, name = 3, op_type = 4;
 * TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9.
 *
 * <p>Exporters name Linear weights anonymously ({@code onnx::MatMul_787}) and store them [in, out]. Such a
 * weight is given back under the torch name derived from the MatMul node that consumes it
 * ({@code /encoder/layer.0/attention/self/query/MatMul} becomes
 * {@code encoder.layer.0.attention.self.query.weight}), transposed to torch's [out, in].
 */
public final class OnnxInitializers {
  private static final int FLOAT = 1;

  private OnnxInitializers() {}

  /**
   * @param in the model bytes (read fully)
   * @param source named in errors
   * @return float tensors by (torch-style) name, in file order
   */
  public static Map<String, Safetensors.Tensor> read(InputStream in, Path source) {
    try {
      CodedInputStream model = CodedInputStream.newInstance(in);
      model.setSizeLimit(Integer.MAX_VALUE);
      while (true) {
        int tag = model.readTag();
        if (tag == 0) {
          throw new InvalidInputFileException(source, "expected an ONNX ModelProto with a graph, found none");
        }
        if (tag >>> 3 == 7) {
          return readGraph(model.readBytes().newCodedInput(), source);
        }
        model.skipField(tag);
      }
    } catch (IOException e) {
      throw new InvalidInputFileException(source, "not a readable ONNX model: " + e.getMessage(), e);
    }
  }

  private static Map<String, Safetensors.Tensor> readGraph(CodedInputStream g, Path source) throws IOException {
    g.setSizeLimit(Integer.MAX_VALUE);
    Map<String, Safetensors.Tensor> raw = new LinkedHashMap<>();
    Map<String, String> matMulWeightToNode = new HashMap<>();
    while (true) {
      int tag = g.readTag();
      if (tag == 0) {
        break;
      }
      int field = tag >>> 3;
      if (field == 5) {
        readTensor(g.readBytes().newCodedInput(), raw, source);
      } else if (field == 1) {
        readNode(g.readBytes().newCodedInput(), matMulWeightToNode);
      } else {
        g.skipField(tag);
      }
    }
    Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, Safetensors.Tensor> e : raw.entrySet()) {
      String node = matMulWeightToNode.get(e.getKey());
      if (node != null && e.getValue().shape().length == 2) {
        out.put(torchName(node), transpose(e.getValue()));
      } else {
        out.put(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  /** {@code /encoder/layer.0/attention/self/query/MatMul} -> {@code encoder.layer.0.attention.self.query.weight}. */
  static String torchName(String node) {
    String s = node.startsWith("/") ? node.substring(1) : node;
    int cut = s.lastIndexOf('/');
    return s.substring(0, cut).replace('/', '.') + ".weight";
  }

  private static void readNode(CodedInputStream n, Map<String, String> matMulWeights) throws IOException {
    List<String> inputs = new ArrayList<>();
    String name = "";
    String op = "";
    while (true) {
      int tag = n.readTag();
      if (tag == 0) {
        break;
      }
      switch (tag >>> 3) {
        case 1 -> inputs.add(n.readString());
        case 3 -> name = n.readString();
        case 4 -> op = n.readString();
        default -> n.skipField(tag);
      }
    }
    if (op.equals("MatMul") && inputs.size() == 2 && inputs.get(1).startsWith("onnx::MatMul")) {
      matMulWeights.put(inputs.get(1), name);
    }
  }

  private static void readTensor(CodedInputStream t, Map<String, Safetensors.Tensor> out, Path source)
      throws IOException {
    List<Long> dims = new ArrayList<>();
    int dataType = 0;
    String name = "";
    ByteBuffer rawData = null;
    List<Float> floatData = new ArrayList<>();
    while (true) {
      int tag = t.readTag();
      if (tag == 0) {
        break;
      }
      int field = tag >>> 3;
      int wire = tag & 7;
      switch (field) {
        case 1 -> {
          if (wire == 2) {
            int limit = t.pushLimit(t.readRawVarint32());
            while (t.getBytesUntilLimit() > 0) {
              dims.add(t.readInt64());
            }
            t.popLimit(limit);
          } else {
            dims.add(t.readInt64());
          }
        }
        case 2 -> dataType = t.readInt32();
        case 4 -> {
          if (wire == 2) {
            int limit = t.pushLimit(t.readRawVarint32());
            while (t.getBytesUntilLimit() > 0) {
              floatData.add(t.readFloat());
            }
            t.popLimit(limit);
          } else {
            floatData.add(t.readFloat());
          }
        }
        case 8 -> name = t.readString();
        case 9 -> rawData = t.readByteBuffer();
        default -> t.skipField(tag);
      }
    }
    if (dataType != FLOAT) {
      return; // int64 shape constants and the like are not weights
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] values = new float[Math.toIntExact(n)];
    if (rawData != null) {
      if (rawData.remaining() != 4L * n) {
        throw new InvalidInputFileException(source, "initializer '" + name + "': shape needs " + (4 * n)
            + " bytes, raw_data has " + rawData.remaining());
      }
      rawData.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    } else {
      if (floatData.size() != n) {
        throw new InvalidInputFileException(source, "initializer '" + name + "': shape needs " + n
            + " floats, float_data has " + floatData.size());
      }
      for (int i = 0; i < values.length; i++) {
        values[i] = floatData.get(i);
      }
    }
    out.put(name, new Safetensors.Tensor(shape, values));
  }

  private static Safetensors.Tensor transpose(Safetensors.Tensor t) {
    int rows = (int) t.shape()[0];
    int cols = (int) t.shape()[1];
    float[] v = t.values();
    float[] o = new float[v.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        o[j * rows + i] = v[i * cols + j];
      }
    }
    return new Safetensors.Tensor(new long[] {cols, rows}, o);
  }
}
