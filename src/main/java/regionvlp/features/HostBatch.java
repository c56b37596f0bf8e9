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
    return owned(manager.create(regions, new Shape(size, numFrames, numRegions, regionDim)));
  }

  /** Region mask as an NDArray [B, F, R] in {@code manager}. */
  public NDArray regionMaskArray(NDManager manager) {
    return owned(manager.create(regionMask, new Shape(size, numFrames, numRegions)));
  }

  /** Token ids as an int64 NDArray [B, L] in {@code manager}. */
  public NDArray idsArray(NDManager manager) {
    return owned(manager.create(ids, new Shape(size, textLength)));
  }

  /** Attention mask as an int64 NDArray [B, L] in {@code manager}. */
  public NDArray textMaskArray(NDManager manager) {
    return owned(manager.create(textMask, new Shape(size, textLength)));
  }

  /**
   * A copy whose memory the engine owns. On CPU, DJL's PyTorch engine wraps the Java direct buffer of
   * {@code create(...)} without copying it, and that buffer is freed when the Java array object is
   * collected; autograd keeps views of the input for the backward pass, so a collection between forward
   * and backward (likely while loader threads allocate) let the backward read freed memory (observed as
   * sporadic 1e32 / Inf gradients). Cloning ties the memory to the tensor itself.
   */
  public static NDArray owned(NDArray blobBacked) {
    NDArray copy = blobBacked.duplicate();
    blobBacked.close();
    return copy;
  }
}
