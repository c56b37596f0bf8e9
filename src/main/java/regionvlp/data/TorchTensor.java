package regionvlp.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor inside a {@code .pth} file, as {@code torch._utils._rebuild_tensor_v2} describes it: a view
 * ({@code shape}, {@code stride}, {@code offset}, all in elements) onto a typed storage held elsewhere in the
 * file. It holds no values; {@link PthFile#floats} and {@link PthFile#longs} read them, so that tensors nobody
 * asks for (an optimiser's moments, for example) are never loaded.
 *
 * @param dtype torch dtype name: {@code float32}, {@code float16}, {@code bfloat16}, {@code float64},
 *     {@code int64}, {@code int32}, {@code int16}, {@code int8}, {@code uint8} or {@code bool}
 * @param shape dimensions, empty for a 0-d tensor
 * @param stride elements to step per index of each dimension (may be non-contiguous, e.g. a transpose)
 * @param offset index of element [0, ..., 0] in the storage
 * @param storageKey name of the storage in the file ({@code data/<key>} in a torch zip)
 * @param requiresGrad the pickled {@code requires_grad} flag (informational)
 */
public record TorchTensor(String dtype, long[] shape, long[] stride, long offset, String storageKey,
    boolean requiresGrad) {

  /** Copies the arrays and checks that shape and stride agree. */
  public TorchTensor {
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(storageKey, "storageKey");
    shape = shape.clone();
    stride = stride.clone();
    if (shape.length != stride.length) {
      throw new IllegalArgumentException("size " + Arrays.toString(shape) + " and stride " + Arrays.toString(stride)
          + " have different lengths");
    }
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0 || stride[i] < 0) {
        throw new IllegalArgumentException("negative size or stride: size " + Arrays.toString(shape) + ", stride "
            + Arrays.toString(stride));
      }
    }
    if (offset < 0) {
      throw new IllegalArgumentException("negative storage offset " + offset);
    }
    NpyArray.elementCount(shape); // overflow check
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  @Override
  public long[] stride() {
    return stride.clone();
  }

  /** Number of elements. */
  public long size() {
    return NpyArray.elementCount(shape);
  }

  /** One past the largest storage index this view touches (0 for an empty tensor). */
  public long storageExtent() {
    if (size() == 0) {
      return 0;
    }
    long last = offset;
    for (int i = 0; i < shape.length; i++) {
      last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
    }
    return last + 1;
  }

  /** Whether the elements lie in C order without gaps (then one bulk read suffices). */
  public boolean isContiguous() {
    long expected = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      if (shape[i] != 1 && stride[i] != expected) {
        return false;
      }
      expected *= shape[i];
    }
    return true;
  }

  /** Bytes per element of a torch dtype name. */
  public static int itemSize(String dtype) {
    return switch (dtype) {
      case "float64", "int64" -> 8;
      case "float32", "int32" -> 4;
      case "float16", "bfloat16", "int16" -> 2;
      case "int8", "uint8", "bool" -> 1;
      default -> throw new IllegalArgumentException("unsupported tensor dtype '" + dtype + "'");
    };
  }

  /** Whether the dtype holds floating-point values. */
  public boolean isFloating() {
    return dtype.startsWith("float") || dtype.equals("bfloat16");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TorchTensor t && dtype.equals(t.dtype) && Arrays.equals(shape, t.shape)
        && Arrays.equals(stride, t.stride) && offset == t.offset && storageKey.equals(t.storageKey)
        && requiresGrad == t.requiresGrad;
  }

  @Override
  public int hashCode() {
    return Objects.hash(dtype, Arrays.hashCode(shape), Arrays.hashCode(stride), offset, storageKey, requiresGrad);
  }

  @Override
  public String toString() {
    return "tensor(" + dtype + ", shape " + Arrays.toString(shape) + ")";
  }
}
