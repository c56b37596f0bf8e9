package regionvlp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/** How a text transformer's hidden states [B, L, W] become one vector per caption [B, W]. */
public enum TextPooling {
  /**
   * The mean over real tokens (mask 1, [CLS] and [SEP] included), as sentence-transformers pools
   * all-MiniLM-L6-v2.
   */
  MEAN,
  /** The hidden state of the first token, [CLS]. */
  CLS;

  /**
   * @param hidden [B, L, W]
   * @param mask [B, L], 1 real / 0 padding (every row has at least [CLS])
   * @return [B, W], in {@code hidden}'s manager
   */
  public NDArray pool(NDArray hidden, NDArray mask) {
    return switch (this) {
      case CLS -> hidden.get(new NDIndex(":, 0, :"));
      case MEAN -> {
        NDArray m = mask.toType(DataType.FLOAT32, false).expandDims(-1); // [B, L, 1]
        yield hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1})); // [B, W]
      }
    };
  }
}
