package regionvlp.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * One numeric numpy array: its dtype string, shape and raw little-endian C-order bytes, as read from a
 * {@code .npy} file or rebuilt from a pickled {@code ndarray}.
 *
 * <p>Supported {@code descr} values: {@code <f2}, {@code <f4}, {@code <f8}, {@code <i4}, {@code <i8},
 * {@code |u1}, {@code |b1} (and {@code |i1}). Object arrays are not {@code NpyArray}s; see {@link
 * PyObjectArray}.
 *
 * @param descr numpy type string with byte order, e.g. {@code <f4}
 * @param shape dimensions, empty for a 0-d array
 * @param data exactly {@code size() * itemSize(descr)} bytes; the buffer is read through absolute gets only
 */
public record NpyArray(String descr, long[] shape, ByteBuffer data) {

  /** Validates the dtype and that the payload length matches the shape. */
  public NpyArray {
    Objects.requireNonNull(descr, "descr");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    shape = shape.clone();
    int item = itemSize(descr);
    long expected;
    try {
      expected = Math.multiplyExact(elementCount(shape), item);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " overflows");
    }
    if (data.remaining() != expected) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s %s: expected %d bytes, found %d",
              descr,
              Arrays.toString(shape),
              expected,
              data.remaining()));
    }
    data = data.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Wraps a float32 array (copied). */
  public static NpyArray ofFloats(float[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new NpyArray("<f4", shape, b);
  }

  /** Wraps a float64 array (copied). */
  public static NpyArray ofDoubles(double[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(values);
    return new NpyArray("<f8", shape, b);
  }

  /** Wraps an int64 array (copied). */
  public static NpyArray ofLongs(long[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return new NpyArray("<i8", shape, b);
  }

  /**
   * Bytes per element of a supported little-endian or byte-order-free descr.
   *
   * @throws IllegalArgumentException for big-endian or unsupported types
   */
  public static int itemSize(String descr) {
    switch (descr) {
      case "|b1":
      case "|u1":
      case "|i1":
        return 1;
      case "<f2":
        return 2;
      case "<f4":
      case "<i4":
        return 4;
      case "<f8":
      case "<i8":
        return 8;
      default:
        if (descr.startsWith(">")) {
          throw new IllegalArgumentException(
              "big-endian dtype " + descr + " is not supported; expected little-endian ('<')");
        }
        throw new IllegalArgumentException(
            "unsupported dtype " + descr + "; expected one of <f2 <f4 <f8 <i4 <i8 |u1 |i1 |b1");
    }
  }

  /** Product of the dimensions (1 for a 0-d array). */
  public static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The shape (copy). */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements. */
  public long size() {
    return elementCount(shape);
  }

  /** Number of dimensions. */
  public int ndim() {
    return shape.length;
  }

  /** Element {@code i} (flat C order) converted to double. */
  public double getDouble(long index) {
    int i = Math.toIntExact(index);
    switch (descr) {
      case "<f4":
        return data.getFloat(i * 4);
      case "<f8":
        return data.getDouble(i * 8);
      case "<f2":
        return halfToFloat(data.getShort(i * 2));
      case "<i4":
        return data.getInt(i * 4);
      case "<i8":
        return data.getLong(i * 8);
      case "|u1":
        return data.get(i) & 0xff;
      case "|i1":
        return data.get(i);
      case "|b1":
        return data.get(i) != 0 ? 1 : 0;
      default:
        throw new IllegalStateException(descr);
    }
  }

  /** Element {@code i} (flat C order) as long; floating-point types must hold integral values. */
  public long getLong(long index) {
    int i = Math.toIntExact(index);
    switch (descr) {
      case "<i8":
        return data.getLong(i * 8);
      case "<i4":
        return data.getInt(i * 4);
      case "|u1":
        return data.get(i) & 0xff;
      case "|i1":
        return data.get(i);
      case "|b1":
        return data.get(i) != 0 ? 1 : 0;
      default:
        double d = getDouble(index);
        if (d != Math.rint(d) || Double.isInfinite(d)) {
          throw new IllegalArgumentException(
              String.format(Locale.ROOT, "%s element %d is not an integer: %s", descr, index, d));
        }
        return (long) d;
    }
  }

  /** IEEE 754 binary16 to float (Float.float16ToFloat needs Java 20). */
  public static float halfToFloat(short bits) {
    int h = bits & 0xffff;
    int sign = (h >>> 15) << 31;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /**
   * float to IEEE 754 binary16, rounding to nearest with ties to even as numpy's {@code astype(np.float16)}
   * does: overflow (|x| >= 65520) gives infinity, tiny values become subnormals or signed zero, NaN stays
   * NaN (payload truncated, quiet bit set).
   */
  public static short floatToHalf(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int abs = bits & 0x7fffffff;
    if (abs >= 0x7f800000) {
      return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0));
    }
    if (abs >= 0x477ff000) { // 65520 and above round to infinity
      return (short) (sign | 0x7c00);
    }
    if (abs < 0x38800000) { // below 2^-14, the smallest normal half: a multiple of 2^-24, exact in double
      return (short) (sign | (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24));
    }
    int half = (abs >>> 13) - ((127 - 15) << 10); // rebias the exponent, keep the top 10 mantissa bits
    int rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
      half++; // a carry out of the mantissa correctly bumps the exponent
    }
    return (short) (sign | half);
  }

  /** All elements as float32 (float64 and integers are converted, float16 widened). */
  public float[] toFloatArray() {
    float[] out = new float[Math.toIntExact(size())];
    if (descr.equals("<f4")) {
      data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
      return out;
    }
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) getDouble(i);
    }
    return out;
  }

  /** All elements as float64. */
  public double[] toDoubleArray() {
    double[] out = new double[Math.toIntExact(size())];
    for (int i = 0; i < out.length; i++) {
      out[i] = getDouble(i);
    }
    return out;
  }

  /**
   * All elements as int64.
   *
   * @throws IllegalArgumentException if a floating-point element is not integral
   */
  public long[] toLongArray() {
    long[] out = new long[Math.toIntExact(size())];
    for (int i = 0; i < out.length; i++) {
      out[i] = getLong(i);
    }
    return out;
  }

  /** A copy of the raw little-endian bytes. */
  public byte[] toBytes() {
    byte[] out = new byte[data.remaining()];
    data.duplicate().get(out);
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NpyArray a
        && descr.equals(a.descr)
        && Arrays.equals(shape, a.shape)
        && data.equals(a.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(descr, Arrays.hashCode(shape), data);
  }

  @Override
  public String toString() {
    return "NpyArray[" + descr + " " + Arrays.toString(shape) + "]";
  }
}
