package regionvlp.data.datasets;

import java.nio.file.Path;

/**
 * Reads one dataset's metadata layout (METHOD.md 1.3) into a {@link SplitIndex}. Each reader takes the
 * features root ({@code --features DIR}) and the metadata ({@code --meta FILE|DIR}: a folder holding the
 * split files under their released names, or one split file).
 */
public interface DatasetReader {
  /** The name used by {@code --dataset} and {@code data.dataset}. */
  String name();

  /** One line: the feature and metadata layout this reader expects. */
  String layout();

  /** Frames per clip in the original's configs (1 for WebVid/CC3M pre-training, 8 for fine-tuning). */
  int defaultFrames();

  /**
   * Reads a split.
   *
   * @param features the features root
   * @param meta a metadata folder or file
   * @param options split, header and caption policy
   * @throws regionvlp.data.InvalidInputFileException when a metadata file is missing or unreadable as a
   *     whole (row-level problems become {@link SplitIndex#rowFaults()})
   */
  SplitIndex read(Path features, Path meta, ReadOptions options);
}
