package regionvlp.data;

import java.util.Arrays;
import java.util.Objects;

/**
 * The detector output for one frame (or one image), as the bottom-up-attention extractor writes it to one
 * {@code .npz} file (METHOD.md 1.2). Rows are in the extractor's box order, <em>not</em> sorted by confidence.
 *
 * @param imageId frame file name without extension ({@code info['image_id']})
 * @param imageWidth {@code info['image_w']} in pixels
 * @param imageHeight {@code info['image_h']} in pixels
 * @param numBoxes N, the number of detected boxes (N >= 1)
 * @param featureDim D, 2048 for the real detector
 * @param features RoI features, row-major float32 [N, D] ({@code x})
 * @param boxes x1, y1, x2, y2 in original-image pixels, row-major float32 [N, 4] ({@code bbox})
 * @param objectIds {@code info['objects_id']} [N]: 0 = background, k >= 1 = VG class k-1
 * @param objectConf {@code info['objects_conf']} [N], the sort key of region selection
 * @param attrIds {@code info['attrs_id']} [N], or null when the attribute head was off
 * @param attrConf {@code info['attrs_conf']} [N], or null when the attribute head was off
 */
public record FrameFeatures(
    String imageId,
    int imageWidth,
    int imageHeight,
    int numBoxes,
    int featureDim,
    float[] features,
    float[] boxes,
    long[] objectIds,
    float[] objectConf,
    long[] attrIds,
    float[] attrConf) {

  public FrameFeatures {
    Objects.requireNonNull(imageId, "imageId");
    if (numBoxes < 1) {
      throw new IllegalArgumentException("numBoxes must be >= 1, found " + numBoxes);
    }
    if (featureDim < 1) {
      throw new IllegalArgumentException("featureDim must be >= 1, found " + featureDim);
    }
    if (imageWidth < 1 || imageHeight < 1) {
      throw new IllegalArgumentException(
          "image size must be positive, found " + imageWidth + "x" + imageHeight);
    }
    checkLength("features", features.length, (long) numBoxes * featureDim);
    checkLength("boxes", boxes.length, (long) numBoxes * 4);
    checkLength("objectIds", objectIds.length, numBoxes);
    checkLength("objectConf", objectConf.length, numBoxes);
    if ((attrIds == null) != (attrConf == null)) {
      throw new IllegalArgumentException("attrIds and attrConf must both be present or both be null");
    }
    if (attrIds != null) {
      checkLength("attrIds", attrIds.length, numBoxes);
      checkLength("attrConf", attrConf.length, numBoxes);
    }
  }

  private static void checkLength(String field, long found, long expected) {
    if (found != expected) {
      throw new IllegalArgumentException(
          field + ": expected " + expected + " values, found " + found);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FrameFeatures f
        && imageId.equals(f.imageId)
        && imageWidth == f.imageWidth
        && imageHeight == f.imageHeight
        && numBoxes == f.numBoxes
        && featureDim == f.featureDim
        && Arrays.equals(features, f.features)
        && Arrays.equals(boxes, f.boxes)
        && Arrays.equals(objectIds, f.objectIds)
        && Arrays.equals(objectConf, f.objectConf)
        && Arrays.equals(attrIds, f.attrIds)
        && Arrays.equals(attrConf, f.attrConf);
  }

  @Override
  public int hashCode() {
    return Objects.hash(imageId, numBoxes, featureDim, Arrays.hashCode(features));
  }

  @Override
  public String toString() {
    return "FrameFeatures[" + imageId + ", " + numBoxes + " boxes x " + featureDim + "]";
  }
}
