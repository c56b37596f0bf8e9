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

  /**
   * The same captions without the padding columns that no caption uses: length becomes the longest
   * caption's real token count. Trailing padding is masked out of attention and out of the pooled (global)
   * embedding, so a text tower gives the same global embeddings either way, with less work. Word-level
   * (local) outputs change, because their padded slots are averaged (METHOD.md 3.2): use this only for
   * global embeddings.
   *
   * @throws IllegalStateException if a caption has padding before a real token
   */
  public TokenizedCaptions trimmed() {
    int used = 1;
    for (int i = 0; i < count; i++) {
      int real = 0;
      for (int j = 0; j < length; j++) {
        if (mask[i * length + j] != 0) {
          if (real != j) {
            throw new IllegalStateException("caption " + i + ": padding at token " + real
                + " before a real token at " + j + "; only trailing padding can be trimmed");
          }
          real = j + 1;
        }
      }
      used = Math.max(used, real);
    }
    if (used == length) {
      return this;
    }
    long[] ti = new long[count * used];
    long[] tm = new long[count * used];
    for (int i = 0; i < count; i++) {
      System.arraycopy(ids, i * length, ti, i * used, used);
      System.arraycopy(mask, i * length, tm, i * used, used);
    }
    return new TokenizedCaptions(count, used, ti, tm);
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
