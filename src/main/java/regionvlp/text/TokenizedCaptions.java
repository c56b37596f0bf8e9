package regionvlp.text;

/**
 * Token ids and attention masks of n captions, row-major [n, length].
 *
 * @param count n
 * @param length tokens per caption (padding included)
 * @param ids token ids [n, length]
 * @param mask 1 for real tokens, 0 for padding [n, length]
 */
public record TokenizedCaptions(int count, int length, long[] ids, long[] mask) {
  public TokenizedCaptions {
    if (ids.length != (long) count * length || mask.length != ids.length) {
      throw new IllegalArgumentException(
          "expected " + ((long) count * length) + " ids and mask values, found " + ids.length + " and "
              + mask.length);
    }
  }

  /** Copies caption {@code i}'s ids into {@code dst} at {@code offset}. */
  public void copyIds(int i, long[] dst, int offset) {
    System.arraycopy(ids, i * length, dst, offset, length);
  }

  /** Copies caption {@code i}'s mask into {@code dst} at {@code offset}. */
  public void copyMask(int i, long[] dst, int offset) {
    System.arraycopy(mask, i * length, dst, offset, length);
  }
}
