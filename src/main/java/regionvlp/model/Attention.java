package regionvlp.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/**
 * Multi-head attention variants of the two towers. Masks are additive and broadcast over heads and
 * queries; softmax runs over the last (key) axis.
 */
final class Attention {
  private Attention() {}

  /** Key masks of the space attention, built once per forward pass and shared by every block. */
  record Masks(NDArray cls, NDArray frame) {}

  /**
   * @param keyMask additive region mask [B, F, R]
   * @return the CLS query's mask over all keys [B, 1, 1, 1+F*R] and the per-frame mask over
   *     {CLS, the frame's R regions} [B, 1, F, 1, 1+R]
   */
  static Masks spaceMasks(NDArray keyMask) {
    long b = keyMask.getShape().get(0);
    long f = keyMask.getShape().get(1);
    long r = keyMask.getShape().get(2);
    NDArray zeroB = keyMask.zerosLike().get(new NDIndex(":, 0, 0:1")); // [B, 1]
    NDArray cls = NDArrays.concat(new NDList(zeroB, keyMask.reshape(b, f * r)), 1).reshape(b, 1, 1, 1 + f * r);
    NDArray zeroF = keyMask.zerosLike().get(new NDIndex(":, :, 0:1")); // [B, F, 1]
    NDArray frame = NDArrays.concat(new NDList(zeroF, keyMask), 2).reshape(b, 1, f, 1, 1 + r);
    return new Masks(cls, frame);
  }

  /**
   * Frozen-in-Time "space" attention over [CLS, frame 0 regions, ..., frame F-1 regions].
   *
   * <p>Tensors are taken apart with {@code split}, never with index slices: the backward pass of a slice
   * allocates a zero tensor of the whole input and copies the slice's gradient into it, once per slice,
   * and then sums those (18 zero-fills and copies per block in the profile); the backward of a split is one
   * concatenation. With one frame, every query's key set is the whole sequence, so a single masked
   * attention serves the CLS and the region queries alike.
   *
   * @param x normalised tokens [B, 1+F*R, W]
   * @return the projected attention output [B, 1+F*R, W]
   */
  static NDArray space(
      NDArray x, NDArray wQkv, NDArray bQkv, NDArray wProj, NDArray bProj, int heads, int f, int r,
      Masks masks) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    long w = x.getShape().get(2);
    long dh = w / heads;
    NDList qkv = Nn.linear(x, wQkv, bQkv).reshape(b, t, 3, heads, dh).transpose(2, 0, 3, 1, 4)
        .split(3, 0); // 3 x [1, B, H, T, dh]
    NDArray q = Nn.scale(qkv.get(0).reshape(b, heads, t, dh), (float) (1.0 / Math.sqrt(dh))); // [B, H, T, dh]
    NDArray k = qkv.get(1).reshape(b, heads, t, dh);
    NDArray v = qkv.get(2).reshape(b, heads, t, dh);
    NDArray out = f == 1 ? wholeSequence(q, k, v, masks) : perFrame(q, k, v, f, r, masks); // [B, H, T, dh]
    return Nn.linear(out.transpose(0, 2, 1, 3).reshape(b, t, w), wProj, bProj);
  }

  /** One frame: every query, CLS or region, attends to {CLS} + the frame's regions, the whole sequence. */
  static NDArray wholeSequence(NDArray q, NDArray k, NDArray v, Masks masks) {
    NDArray a = q.matMul(k.transpose(0, 1, 3, 2)).add(masks.cls()).softmax(-1); // [B, H, T, T]
    return a.matMul(v); // [B, H, T, dh]
  }

  /** The general case: the CLS query over every key, each region query over CLS + its frame. */
  static NDArray perFrame(NDArray q, NDArray k, NDArray v, int f, int r, Masks masks) {
    long b = q.getShape().get(0);
    long heads = q.getShape().get(1);
    long dh = q.getShape().get(3);
    NDList qs = q.split(new long[] {1}, 2); // CLS [B, H, 1, dh], regions [B, H, F*R, dh]
    NDList ks = k.split(new long[] {1}, 2);
    NDList vs = v.split(new long[] {1}, 2);
    // CLS query over every key.
    NDArray aCls = qs.get(0).matMul(k.transpose(0, 1, 3, 2)).add(masks.cls()).softmax(-1); // [B, H, 1, T]
    NDArray outCls = aCls.matMul(v); // [B, H, 1, dh]
    // Region queries over {CLS key} + their own frame's keys.
    NDArray qR = qs.get(1).reshape(b, heads, f, r, dh); // [B, H, F, R, dh]
    NDArray kC = ks.get(0).reshape(b, heads, 1, 1, dh).broadcast(b, heads, f, 1, dh);
    NDArray vC = vs.get(0).reshape(b, heads, 1, 1, dh).broadcast(b, heads, f, 1, dh);
    NDArray kF = NDArrays.concat(new NDList(kC, ks.get(1).reshape(b, heads, f, r, dh)), 3); // [B, H, F, 1+R, dh]
    NDArray vF = NDArrays.concat(new NDList(vC, vs.get(1).reshape(b, heads, f, r, dh)), 3);
    NDArray aF = qR.matMul(kF.transpose(0, 1, 2, 4, 3)).add(masks.frame()).softmax(-1); // [B, H, F, R, 1+R]
    NDArray outR = aF.matMul(vF).reshape(b, heads, (long) f * r, dh); // [B, H, F*R, dh]
    return NDArrays.concat(new NDList(outCls, outR), 2); // [B, H, T, dh]
  }

  /**
   * Full self-attention with a key mask (DistilBERT).
   *
   * @param x tokens [B, L, W]
   * @param keyMask additive mask [B, 1, 1, L]
   * @return the context vectors before the output projection [B, L, W]
   */
  static NDArray full(NDArray x, NDArray wq, NDArray bq, NDArray wk, NDArray bk, NDArray wv, NDArray bv,
      int heads, NDArray keyMask) {
    long b = x.getShape().get(0);
    long l = x.getShape().get(1);
    long w = x.getShape().get(2);
    long dh = w / heads;
    NDArray q = Nn.scale(Nn.linear(x, wq, bq).reshape(b, l, heads, dh).transpose(0, 2, 1, 3),
        (float) (1.0 / Math.sqrt(dh))); // [B, H, L, dh]
    NDArray k = Nn.linear(x, wk, bk).reshape(b, l, heads, dh).transpose(0, 2, 3, 1); // [B, H, dh, L]
    NDArray v = Nn.linear(x, wv, bv).reshape(b, l, heads, dh).transpose(0, 2, 1, 3); // [B, H, L, dh]
    NDArray a = q.matMul(k).add(keyMask).softmax(-1); // [B, H, L, L]
    return a.matMul(v).transpose(0, 2, 1, 3).reshape(b, l, w);
  }
}
