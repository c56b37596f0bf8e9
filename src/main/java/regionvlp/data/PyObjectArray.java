package regionvlp.data;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A numpy object array ({@code dtype('O')}) rebuilt from a pickle: its shape and its elements in C order,
 * already converted to Java values by {@link SafeUnpickler}. A 0-d object array (as {@code np.save} writes a
 * dict) has an empty shape and exactly one element.
 *
 * @param shape dimensions, empty for 0-d
 * @param items the elements, {@code product(shape)} of them (unmodifiable; may contain nulls)
 */
public record PyObjectArray(long[] shape, List<Object> items) {

  /** Checks that the element count matches the shape. */
  public PyObjectArray {
    shape = shape.clone();
    items = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(items));
    long n = NpyArray.elementCount(shape);
    if (n != items.size()) {
      throw new IllegalArgumentException(
          "object array " + Arrays.toString(shape) + ": expected " + n + " items, found " + items.size());
    }
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The single element of a 0-d array. */
  public Object item() {
    if (shape.length != 0) {
      throw new IllegalStateException("item() needs a 0-d array, shape is " + Arrays.toString(shape));
    }
    return items.get(0);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PyObjectArray a && Arrays.equals(shape, a.shape) && items.equals(a.items);
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(shape), items);
  }
}
