package regionvlp.data.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import java.util.SplittableRandom;
import regionvlp.data.BottomUpNpz;
import regionvlp.data.FrameFeatures;

/**
 * The data-check fixture: {@code captions.tsv} (src/test/resources/datasets/faulty, generic folder layout,
 * rows for clips c00..c17, then a Latin-1 caption for c18 and an empty caption for c19) plus frame files
 * written here with real {@code .npz} writing, with one planted fault per clip from c12 on.
 */
public final class FaultyCorpus {
  /** Frames per good clip. */
  public static final int FRAMES = 16;
  /** Clips c00..c11 are good. */
  public static final int GOOD = 12;

  private FaultyCorpus() {}

  /**
   * Writes {@code dir/captions.tsv} and {@code dir/features/cNN/<k>.npz}.
   *
   * @param featureDim D of the good clips (c14 gets D / 2)
   * @return {@code dir}
   */
  public static Path build(Path dir, int featureDim) {
    try {
      Path features = dir.resolve("features");
      Files.createDirectories(features);
      try (InputStream in = Objects.requireNonNull(
          FaultyCorpus.class.getResourceAsStream("/datasets/faulty/captions.tsv"), "fixture captions.tsv")) {
        Files.copy(in, dir.resolve("captions.tsv"), StandardCopyOption.REPLACE_EXISTING);
      }
      for (int c = 0; c < 20; c++) {
        if (c == 17) {
          continue; // c17: missing clip folder
        }
        Path clip = features.resolve(String.format("c%02d", c));
        Files.createDirectories(clip);
        int k = c == 16 ? 3 : FRAMES; // c16: too few frames
        for (int i = 0; i < k; i++) {
          int dim = c == 14 ? featureDim / 2 : featureDim; // c14: wrong dim
          FrameFeatures f = frame(c * 100 + i, dim, c == 15); // c15: NaN in x
          Path file = clip.resolve(i + ".npz");
          BottomUpNpz.write(file, f, false);
          if (c == 12) { // c12: truncated npz files
            byte[] bytes = Files.readAllBytes(file);
            Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
          }
        }
        if (c == 13) {
          Files.delete(clip.resolve("5.npz")); // c13: a missing frame file
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static FrameFeatures frame(long seed, int dim, boolean nan) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 5 + r.nextInt(8);
    float[] x = new float[n * dim];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    if (nan) {
      x[x.length / 2] = Float.NaN;
    }
    float[] boxes = new float[n * 4];
    long[] ids = new long[n];
    float[] conf = new float[n];
    for (int b = 0; b < n; b++) {
      float x1 = r.nextInt(200);
      float y1 = r.nextInt(100);
      boxes[b * 4] = x1;
      boxes[b * 4 + 1] = y1;
      boxes[b * 4 + 2] = x1 + 10 + r.nextInt(100);
      boxes[b * 4 + 3] = y1 + 10 + r.nextInt(100);
      ids[b] = 1 + r.nextInt(1600);
      conf[b] = (float) r.nextDouble();
    }
    return new FrameFeatures("f" + seed, 320, 240, n, dim, x, boxes, ids, conf, null, null);
  }
}
