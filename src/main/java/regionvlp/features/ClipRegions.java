package regionvlp.features;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import regionvlp.data.FrameFeatures;

/**
 * The region input of one clip: {@code F} sampled frames, {@code R} region slots per frame. The record
 * takes ownership of its arrays without copying them (8 frames x 30 regions x 2054 floats is about 2 MB); callers must
 * not modify them afterwards.
 *
 * @param numFrames F (>= 1)
 * @param numRegions R (>= 1)
 * @param featureDim D; a region vector has {@code D + 6} floats (feature, then box encoding)
 * @param regions row-major float32 {@code [F, R, D+6]}
 * @param mask {@code [F, R]}, 1 for a real region and 0 for an edge-padded slot; every frame has at least
 *     one real region and real slots come first
 */
public record ClipRegions(
    int numFrames, int numRegions, int featureDim, float[] regions, float[] mask) {

  public ClipRegions {
    if (numFrames < 1 || numRegions < 1 || featureDim < 1) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "expected numFrames, numRegions, featureDim >= 1, found %d, %d, %d",
              numFrames,
              numRegions,
              featureDim));
    }
    Objects.requireNonNull(regions, "regions");
    Objects.requireNonNull(mask, "mask");
    long expectedRegions = (long) numFrames * numRegions * (featureDim + RegionSelector.BOX_DIM);
    if (regions.length != expectedRegions) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "regions: expected [%d, %d, %d] = %d values, found %d",
              numFrames,
              numRegions,
              featureDim + RegionSelector.BOX_DIM,
              expectedRegions,
              regions.length));
    }
    if (mask.length != (long) numFrames * numRegions) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "mask: expected [%d, %d] = %d values, found %d",
              numFrames,
              numRegions,
              numFrames * numRegions,
              mask.length));
    }
    for (int f = 0; f < numFrames; f++) {
      boolean seenPad = false;
      for (int r = 0; r < numRegions; r++) {
        float m = mask[f * numRegions + r];
        if (m != 0f && m != 1f) {
          throw new IllegalArgumentException(
              String.format(Locale.ROOT, "mask[%d, %d]: expected 0 or 1, found %s", f, r, m));
        }
        if (m == 1f && seenPad) {
          throw new IllegalArgumentException(
              String.format(
                  Locale.ROOT, "mask[%d, %d]: a real region after a padded slot; real slots come first", f, r));
        }
        seenPad |= m == 0f;
      }
      if (mask[f * numRegions] != 1f) {
        throw new IllegalArgumentException("mask: frame " + f + " has no real region");
      }
    }
  }

  /** {@code D + 6}. */
  public int regionDim() {
    return featureDim + RegionSelector.BOX_DIM;
  }

  /** Offset of region {@code (frame, region)} in {@link #regions()}. */
  public int offset(int frame, int region) {
    Objects.checkIndex(frame, numFrames);
    Objects.checkIndex(region, numRegions);
    return (frame * numRegions + region) * regionDim();
  }

  /** Number of real regions of a frame. */
  public int validRegions(int frame) {
    Objects.checkIndex(frame, numFrames);
    int n = 0;
    for (int r = 0; r < numRegions; r++) {
      n += mask[frame * numRegions + r] == 1f ? 1 : 0;
    }
    return n;
  }

  /**
   * Builds a clip from its sampled frames, in the given order, with {@link RegionSelector} on each.
   *
   * @param frames one entry per sampled frame (F >= 1)
   * @param selector gives R and the required D
   */
  public static ClipRegions assemble(List<FrameFeatures> frames, RegionSelector selector) {
    Objects.requireNonNull(selector, "selector");
    if (frames.isEmpty()) {
      throw new IllegalArgumentException("expected at least one frame, found none");
    }
    int numFrames = frames.size();
    int numRegions = selector.maxRegions();
    int rowLen = selector.regionDim();
    float[] regions = new float[Math.multiplyExact(Math.multiplyExact(numFrames, numRegions), rowLen)];
    float[] mask = new float[numFrames * numRegions];
    for (int f = 0; f < numFrames; f++) {
      selector.select(frames.get(f), regions, f * numRegions * rowLen, mask, f * numRegions);
    }
    return new ClipRegions(numFrames, numRegions, selector.featureDim(), regions, mask);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClipRegions c
        && numFrames == c.numFrames
        && numRegions == c.numRegions
        && featureDim == c.featureDim
        && Arrays.equals(regions, c.regions)
        && Arrays.equals(mask, c.mask);
  }

  @Override
  public int hashCode() {
    return Objects.hash(numFrames, numRegions, featureDim, Arrays.hashCode(regions), Arrays.hashCode(mask));
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "ClipRegions[%d frames x %d regions x %d]",
        numFrames,
        numRegions,
        featureDim + RegionSelector.BOX_DIM);
  }
}
