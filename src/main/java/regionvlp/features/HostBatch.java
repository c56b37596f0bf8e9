package regionvlp.features;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * One batch in Java memory, ready to become NDArrays: clips [B, F, R, D+6] with masks [B, F, R], and
 * their captions' token ids and masks [B, L]. Either half may be absent (null) when only one tower runs.
 */
public record HostBatch(int size, int numFrames, int numRegions, int regionDim, float[] regions,
    float[] regionMask, int textLength, long[] ids, long[] textMask) {

  /** Clips as an NDArray [B, F, R, D+6] in {@code manager}. */
  public NDArray regionsArray(NDManager manager) {
    return manager.create(regions, new Shape(size, numFrames, numRegions, regionDim));
  }

  /** Region mask as an NDArray [B, F, R] in {@code manager}. */
  public NDArray regionMaskArray(NDManager manager) {
    return manager.create(regionMask, new Shape(size, numFrames, numRegions));
  }

  /** Token ids as an int64 NDArray [B, L] in {@code manager}. */
  public NDArray idsArray(NDManager manager) {
    return manager.create(ids, new Shape(size, textLength));
  }

  /** Attention mask as an int64 NDArray [B, L] in {@code manager}. */
  public NDArray textMaskArray(NDManager manager) {
    return manager.create(textMask, new Shape(size, textLength));
  }
}
