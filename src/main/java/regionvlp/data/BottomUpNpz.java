package regionvlp.data;

import java.nio.file.Path;

/**
 * Reads and writes one frame's bottom-up-attention {@code .npz} file (METHOD.md 1.2): arrays {@code x},
 * {@code bbox}, {@code num_bbox}, {@code image_h}, {@code image_w} and the pickled {@code info} dict.
 */
public final class BottomUpNpz {
  private BottomUpNpz() {}

  /**
   * Reads one frame file. The pickled {@code info} dict goes through {@link SafeUnpickler}: nothing in the
   * file is ever executed.
   *
   * @throws InvalidInputFileException if the file is missing, not an npz, lacks a key, has inconsistent
   *     shapes, or its pickle names a global outside the allow-list
   */
  public static FrameFeatures read(Path file) {
    throw new UnsupportedOperationException("contract stub: implemented by the formats work");
  }

  /**
   * Writes one frame file in the extractor's layout, atomically (temp file, then rename).
   *
   * @param compressed deflate the entries as {@code np.savez_compressed} does; otherwise store them as
   *     {@code np.savez} does
   */
  public static void write(Path file, FrameFeatures frame, boolean compressed) {
    throw new UnsupportedOperationException("contract stub: implemented by the formats work");
  }
}
