package regionvlp.features;

import java.nio.file.Path;
import java.util.Locale;
import regionvlp.data.FrameFeatures;
import regionvlp.data.InvalidInputFileException;

/**
 * Turns one frame's detections into a fixed-size region block (METHOD.md 1.4).
 *
 * <ol>
 *   <li>Order boxes by {@code objectConf} descending. Ties keep the original box order (stable); the
 *       original's {@code np.argsort(conf)[::-1]} leaves tie order unspecified.
 *   <li>Keep the first {@code n = min(N, maxRegions)} boxes (30 in every DemoVLP config).
 *   <li>If {@code n < maxRegions}, repeat the last kept row into the remaining slots ({@code np.pad} "edge"
 *       mode), for the feature and the box encoding alike.
 *   <li>Region vector = feature (D floats) then the 6-d box encoding, {@code D + 6} floats.
 * </ol>
 *
 * <p>Box encoding, with W, H the image size: {@code [x1/W, y1/H, x1/W + w/W, y1/H + h/H, w/W, h/H]},
 * {@code w = x2 - x1}, {@code h = y2 - y1}, no clipping. Every step is a float32 operation, as numpy does
 * for a float32 array divided by a Python int (the int becomes float32, exact below 2^24), so the values
 * match the original bit for bit; {@code x1/W + w/W} is a float32 sum of two rounded quotients, not
 * {@code x2/W}.
 *
 * <p>Output goes into caller-owned arrays at an offset, so a clip {@code [F, R, D+6]} and its mask
 * {@code [F, R]} are filled in place. Immutable and thread-safe.
 */
public final class RegionSelector {

  /** Regions kept per frame in all DemoVLP configs ({@code object_num}). */
  public static final int DEFAULT_MAX_REGIONS = 30;

  /** Width of the box encoding appended to each feature. */
  public static final int BOX_DIM = 6;

  private final int maxRegions;
  private final int featureDim;

  /**
   * @param maxRegions R, slots per frame (>= 1)
   * @param featureDim D every frame must have (2048 for the real detector)
   */
  public RegionSelector(int maxRegions, int featureDim) {
    if (maxRegions < 1) {
      throw new IllegalArgumentException("maxRegions must be >= 1, found " + maxRegions);
    }
    if (featureDim < 1) {
      throw new IllegalArgumentException("featureDim must be >= 1, found " + featureDim);
    }
    this.maxRegions = maxRegions;
    this.featureDim = featureDim;
  }

  /** R = 30 with the given feature dim. */
  public static RegionSelector withDefaultRegions(int featureDim) {
    return new RegionSelector(DEFAULT_MAX_REGIONS, featureDim);
  }

  public int maxRegions() {
    return maxRegions;
  }

  public int featureDim() {
    return featureDim;
  }

  /** {@code D + 6}, the length of one region vector. */
  public int regionDim() {
    return featureDim + BOX_DIM;
  }

  /** Same as {@link #select(FrameFeatures, Path, float[], int, float[], int)} without a source file. */
  public int select(
      FrameFeatures frame, float[] regionsOut, int regionsOffset, float[] maskOut, int maskOffset) {
    return select(frame, null, regionsOut, regionsOffset, maskOut, maskOffset);
  }

  /**
   * Writes one frame's {@code [R, D+6]} block and its {@code [R]} mask.
   *
   * @param frame detections of one frame
   * @param source the frame's file, named in errors; may be null (then the image id is named)
   * @param regionsOut receives {@code R * (D+6)} floats from {@code regionsOffset}, row-major
   * @param maskOut receives R values from {@code maskOffset}: 1 for kept boxes, 0 for padding
   * @return n, the number of real (unpadded) regions
   * @throws InvalidInputFileException when {@code source} is given and the frame's feature dim is wrong
   * @throws IllegalArgumentException for a wrong feature dim without source, a NaN confidence, or output
   *     arrays too short
   */
  public int select(
      FrameFeatures frame,
      Path source,
      float[] regionsOut,
      int regionsOffset,
      float[] maskOut,
      int maskOffset) {
    if (frame.featureDim() != featureDim) {
      String msg =
          String.format(
              Locale.ROOT,
              "expected featureDim %d, found %d; check data.featureDim",
              featureDim,
              frame.featureDim());
      if (source != null) {
        throw new InvalidInputFileException(source, msg);
      }
      throw new IllegalArgumentException(frame.imageId() + ": " + msg);
    }
    int rowLen = regionDim();
    checkRange("regionsOut", regionsOut.length, regionsOffset, (long) maxRegions * rowLen);
    checkRange("maskOut", maskOut.length, maskOffset, maxRegions);

    int[] order = sortedOrder(frame, source);
    int kept = Math.min(frame.numBoxes(), maxRegions);
    float[] features = frame.features();
    float[] boxes = frame.boxes();
    for (int slot = 0; slot < kept; slot++) {
      int box = order[slot];
      int dst = regionsOffset + slot * rowLen;
      System.arraycopy(features, box * featureDim, regionsOut, dst, featureDim);
      encodeBox(
          boxes[4 * box],
          boxes[4 * box + 1],
          boxes[4 * box + 2],
          boxes[4 * box + 3],
          frame.imageWidth(),
          frame.imageHeight(),
          regionsOut,
          dst + featureDim);
      maskOut[maskOffset + slot] = 1f;
    }
    int lastRow = regionsOffset + (kept - 1) * rowLen;
    for (int slot = kept; slot < maxRegions; slot++) {
      System.arraycopy(regionsOut, lastRow, regionsOut, regionsOffset + slot * rowLen, rowLen);
      maskOut[maskOffset + slot] = 0f;
    }
    return kept;
  }

  /**
   * Box indices ordered by confidence descending, ties by ascending original index.
   *
   * @return int[N], a permutation of {@code 0..N-1}
   */
  public static int[] sortedOrder(FrameFeatures frame) {
    return sortedOrder(frame, null);
  }

  private static int[] sortedOrder(FrameFeatures frame, Path source) {
    float[] conf = frame.objectConf();
    Integer[] idx = new Integer[conf.length];
    for (int i = 0; i < conf.length; i++) {
      if (Float.isNaN(conf[i])) {
        String where = source != null ? source.toString() : frame.imageId();
        throw new IllegalArgumentException(
            where + ": objectConf[" + i + "] is NaN; confidences must be numbers to rank boxes");
      }
      idx[i] = i;
    }
    // Arrays.sort on objects is a stable merge sort: equal confidences keep their file order
    // (-0.0 and 0.0 count as equal, as in numpy).
    java.util.Arrays.sort(idx, (a, b) -> conf[a] > conf[b] ? -1 : (conf[a] < conf[b] ? 1 : 0));
    int[] out = new int[idx.length];
    for (int i = 0; i < idx.length; i++) {
      out[i] = idx[i];
    }
    return out;
  }

  /**
   * Writes the 6-d float32 box encoding {@code [x1/W, y1/H, x1/W + w/W, y1/H + h/H, w/W, h/H]} at
   * {@code out[offset .. offset+5]}.
   */
  public static void encodeBox(
      float x1, float y1, float x2, float y2, int imageWidth, int imageHeight, float[] out, int offset) {
    float width = imageWidth;
    float height = imageHeight;
    float scaledWidth = (x2 - x1) / width;
    float scaledHeight = (y2 - y1) / height;
    float scaledX = x1 / width;
    float scaledY = y1 / height;
    out[offset] = scaledX;
    out[offset + 1] = scaledY;
    out[offset + 2] = scaledX + scaledWidth;
    out[offset + 3] = scaledY + scaledHeight;
    out[offset + 4] = scaledWidth;
    out[offset + 5] = scaledHeight;
  }

  private static void checkRange(String name, int length, int offset, long needed) {
    if (offset < 0 || offset + needed > length) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "%s: expected room for %d values at offset %d, found length %d",
              name,
              needed,
              offset,
              length));
    }
  }
}
