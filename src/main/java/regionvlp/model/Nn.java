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

  /**
   * {@code x W^T + b} with torch's weight layout W [out, in]; b may be null.
   *
   * <p>Inputs of more than two axes are flattened to [rows, in] first: on a 2-D input the engine adds the
   * bias inside the GEMM ({@code addmm}), while for 3-D and 4-D inputs this engine build runs a plain
   * {@code mm} and then a separate bias-add pass over the whole output (seen in the profile as
   * {@code add_ [B, T, W] + [W]} after every linear layer).
   */
  public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    if (bias == null) {
      return Linear.linear(x, weight).singletonOrThrow();
    }
    Shape s = x.getShape();
    if (s.dimension() <= 2) {
      return Linear.linear(x, weight, bias).singletonOrThrow();
    }
    long in = s.get(s.dimension() - 1);
    NDArray y = Linear.linear(x.reshape(-1, in), weight, bias).singletonOrThrow();
    long[] dims = s.getShape();
    dims[dims.length - 1] = weight.getShape().get(0);
    return y.reshape(dims);
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

  /**
   * GELU, tanh approximation: {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}, as Hugging Face's
   * {@code gelu_new} / {@code gelu_pytorch_tanh} compute it.
   */
  public static NDArray geluTanh(NDArray x) {
    NDArray cube = x.mul(x).mul(x);
    NDArray inner = scale(x.add(scale(cube, 0.044715f)), (float) Math.sqrt(2.0 / Math.PI));
    NDArray t = inner.tanh();
    return scale(x.mul(t.add(scalar(t, 1f))), 0.5f);
  }

  /**
   * A 0-d constant that the engine owns, for scalar arithmetic on the autograd path.
   *
   * <p>DJL's {@code x.mul(Number)} wraps the number in an array backed by a Java direct buffer and closes
   * it right away; autograd still holds that tensor for the backward pass, and once the garbage collector
   * frees the buffer the backward reads freed memory. We observed this as sporadic Inf / 1e32 gradients in
   * the first attention block whenever loader threads made the collector run mid-step. A constant made by
   * {@code full} lives in engine memory and is safe. Use it for every scalar operand that a backward pass
   * needs (multiply, divide, maximum); masks built without gradients may use plain numbers.
   */
  public static NDArray scalar(NDArray like, float value) {
    return like.getManager().full(new Shape(), value, like.getDataType());
  }

  /** {@code x * value}, safe on the autograd path (see {@link #scalar}). */
  public static NDArray scale(NDArray x, float value) {
    return x.mul(scalar(x, value));
  }

  /** L2-normalises rows: {@code x / max(||x||, eps)}, as Frozen-in-Time's sim_matrix does. */
  public static NDArray normalizeRows(NDArray x, float eps) {
    NDArray norm = x.norm(new int[] {-1}, true);
    NDArray n = norm.maximum(scalar(norm, eps));
    return x.div(n);
  }
}
