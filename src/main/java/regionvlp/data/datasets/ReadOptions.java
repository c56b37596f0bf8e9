package regionvlp.data.datasets;

import java.util.Set;

/**
 * How a split is read.
 *
 * @param split {@code train}, {@code val} or {@code test}; as in the original, {@code val} of the four
 *     retrieval datasets is their test file (G13), and WebVid/CC3M have train and validation only
 * @param faithfulHeaderSkip drop the first metadata row, as the original's {@code pd.read_csv} does (G12);
 *     the default reads every row
 * @param allCaptions every caption of a clip is a query (MSVD's usual protocol; MSR-VTT's 20 captions per
 *     test video) instead of the original's choice (MSVD: the first caption, MSR-VTT: the jsfusion index)
 */
public record ReadOptions(String split, boolean faithfulHeaderSkip, boolean allCaptions) {
  /** The split names a reader accepts. */
  public static final Set<String> SPLITS = Set.of("train", "val", "test");

  public ReadOptions {
    if (split == null || !SPLITS.contains(split)) {
      throw new IllegalArgumentException("split must be train, val or test, found '" + split + "'");
    }
  }

  /** Default reading of a split: every row, the original's caption policy. */
  public static ReadOptions of(String split) {
    return new ReadOptions(split, false, false);
  }

  /** True for train. */
  public boolean training() {
    return split.equals("train");
  }
}
