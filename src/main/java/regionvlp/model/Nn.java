package regionvlp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;

/**
 * Stateless tensor helpers shared by both towers. Every result belongs to the manager of the first
 * (activation) argument, never to a parameter's manager (STACK.md, "result ownership").
 */
public final class Nn {
  private Nn() {}

  /** {@code x W^T + b} with torch's weight layout W [out, in]; b may be null. */
  public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return bias == null
        ? Linear.linear(x, weight).singletonOrThrow()
        : Linear.linear(x, weight, bias).singletonOrThrow();
  }

  /** LayerNorm over the last axis. */
  public static NDArray layerNorm(NDArray x, NDArray gain, NDArray bias, float eps) {
    long width = x.getShape().get(x.getShape().dimension() - 1);
    return LayerNorm.layerNorm(x, new Shape(width), gain, bias, eps).singletonOrThrow();
  }

  /** GELU, exact erf form (torch's default, as ViT and DistilBERT use). */
  public static NDArray gelu(NDArray x) {
    return x.getNDArrayInternal().gelu();
  }

  /** L2-normalises rows: {@code x / max(||x||, eps)}, as Frozen-in-Time's sim_matrix does. */
  public static NDArray normalizeRows(NDArray x, float eps) {
    NDArray n = x.norm(new int[] {-1}, true).maximum(eps);
    return x.div(n);
  }
}
