package regionvlp.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import regionvlp.model.Nn;

/**
 * DemoVLP's bidirectional region-word alignment similarity S(v, t) = A(v, t) + B(v, t) (METHOD.md 3.2),
 * computed for every (video, caption) pair of two sets at once.
 *
 * <p>With unit region vectors r^ [R, E], unit word vectors w^ [L, E] and additive key masks m (regions) and
 * n (words), d = r^ w^T [R, L] and s = LeakyReLU_0.1(d):
 *
 * <ul>
 *   <li>A (words attend over regions): s normalised over words for each region; alpha = softmax over
 *       regions of lambda (s~ + m); the focal filter keeps alpha > 1/R (R counts padded slots), coded as
 *       {@code R alpha - sum alpha > 0}; beta = renormalised; a_l = sum_k beta r^_k; A = mean over all L
 *       word slots of cos(w_l, a_l).
 *   <li>B (regions attend over words): s normalised over regions for each word; gamma = softmax over words
 *       of lambda (s~ + n); focal threshold 1/L; c_k = sum_l gamma w^_l; B = mean over all R region slots
 *       of cos(r_k, c_k).
 * </ul>
 *
 * The attended vectors are never materialised: cos(w_l, a_l) = (sum_k beta_kl d_kl) / |a_l| with
 * |a_l|^2 = beta^T (r^ r^T) beta, and likewise for B with the word Gram matrix, which keeps memory at a few
 * [Bv, Bt, R, L] tensors instead of [Bv, Bt, L, E] and [Bv, Bt, R, E] ones.
 *
 * <p>Defaults are code-faithful: padded slots are queries too and count in both means (G2). {@code
 * validOnly} averages over real slots instead. Everything runs in float32; the original's partly float64
 * path differs by up to ~7e-5 in S (METHOD.md 3.2, "Precision").
 */
public final class RegionWordAlignment {
  /** Softmax inverse temperature lambda of the original. */
  public static final float LAMBDA = 20f;

  private final boolean focal;
  private final boolean validOnly;
  private final long chunkElements;

  /**
   * @param focal apply the focal_equal filter (the original's focal_type "equal"); off keeps all weights
   * @param validOnly average A over real words and B over real regions only (not the original)
   */
  public RegionWordAlignment(boolean focal, boolean validOnly) {
    this(focal, validOnly, CHUNK_ELEMENTS);
  }

  /** With an explicit block size (elements of one [videos, captions, R, L] tensor); for tests. */
  RegionWordAlignment(boolean focal, boolean validOnly, long chunkElements) {
    this.focal = focal;
    this.validOnly = validOnly;
    this.chunkElements = chunkElements;
  }

  /**
   * @param regions local video embeddings [Bv, R, E]
   * @param regionMask additive region mask [Bv, R] (0 real, -100 padded)
   * @param words local word embeddings [Bt, L, E]
   * @param wordMask additive word mask [Bt, L]
   * @return S [Bv, Bt], indexed [video, caption], in {@code regions}' manager
   */
  public NDArray similarity(NDArray regions, NDArray regionMask, NDArray words, NDArray wordMask) {
    NDList ab = directions(regions, regionMask, words, wordMask);
    return ab.get(0).add(ab.get(1));
  }

  /**
   * The two directions separately; {@link #similarity} is their sum.
   *
   * @return A (words attend over regions) and B (regions attend over words), each [Bv, Bt]
   */
  NDList directions(NDArray regions, NDArray regionMask, NDArray words, NDArray wordMask) {
    long bv = regions.getShape().get(0);
    long perVideo = words.getShape().get(0) * regions.getShape().get(1) * words.getShape().get(1);
    long chunk = Math.max(1, chunkElements / perVideo);
    if (bv <= chunk) {
      return block(regions, regionMask, words, wordMask);
    }
    // Blocks of videos keep every [videos, captions, R, L] tensor small. Large tensors come from fresh
    // mmap'd pages on every allocation, and the page faults dominated: quick-start training with the local
    // term ran at 5 samples/s in one block and 15-25 samples/s in blocks (docs/RESULTS.md).
    NDList a = new NDList();
    NDList b = new NDList();
    for (long v0 = 0; v0 < bv; v0 += chunk) {
      String rows = v0 + ":" + Math.min(bv, v0 + chunk);
      NDList ab = block(regions.get(rows), regionMask.get(rows), words, wordMask);
      a.add(ab.get(0));
      b.add(ab.get(1));
    }
    return new NDList(NDArrays.concat(a, 0), NDArrays.concat(b, 0));
  }

  /** Elements of one block's [videos, captions, R, L] tensors: 2M floats, 8 MB. */
  private static final long CHUNK_ELEMENTS = 2_000_000L;

  private NDList block(NDArray regions, NDArray regionMask, NDArray words, NDArray wordMask) {
    long bv = regions.getShape().get(0);
    long r = regions.getShape().get(1);
    long e = regions.getShape().get(2);
    long bt = words.getShape().get(0);
    long l = words.getShape().get(1);
    NDArray rn = unit(regions); // [Bv, R, E]
    NDArray wn = unit(words); // [Bt, L, E]
    // One GEMM for all pairs; a broadcast batched matmul would materialise [Bv, Bt, R, E] copies.
    NDArray d = rn.reshape(bv * r, e).matMul(wn.reshape(bt * l, e).transpose()) // [Bv*R, Bt*L]
        .reshape(bv, r, bt, l).transpose(0, 2, 1, 3); // [Bv, Bt, R, L]
    NDArray s = Activation.leakyRelu(d, 0.1f); // [Bv, Bt, R, L]
    NDArray m = regionMask.reshape(bv, 1, r, 1); // [Bv, 1, R, 1]
    NDArray n = wordMask.reshape(1, bt, 1, l); // [1, Bt, 1, L]

    // Direction A: each word attends over regions (softmax over axis 2).
    NDArray sA = s.div(s.square().sum(new int[] {3}, true).sqrt().add(Nn.scalar(s, 1e-8f))); // over words
    NDArray alpha = Nn.scale(sA.add(m).add(n), LAMBDA).softmax(2); // [Bv, Bt, R, L]
    NDArray beta = filter(alpha, 2, r); // [Bv, Bt, R, L]
    NDArray num = beta.mul(d).sum(new int[] {2}); // [Bv, Bt, L]: w^_l . a_l
    NDArray gramR = rn.matMul(rn.transpose(0, 2, 1)); // [Bv, R, R]
    NDArray gBeta = gramR.matMul(beta.transpose(0, 2, 1, 3).reshape(bv, r, bt * l)) // [Bv, R, Bt*L]
        .reshape(bv, r, bt, l).transpose(0, 2, 1, 3); // [Bv, Bt, R, L]
    NDArray aNormSq = gBeta.mul(beta).sum(new int[] {2}); // [Bv, Bt, L]
    NDArray cosA = num.div(safeSqrt(aNormSq)); // [Bv, Bt, L]
    NDArray wordValid = wordMask.gte(Nn.scalar(wordMask, -50f)).toType(DataType.FLOAT32, false).reshape(1, bt, l);
    NDArray a = validOnly ? maskedMean(cosA, wordValid) : cosA.mean(new int[] {2}); // [Bv, Bt]

    // Direction B: each region attends over words (softmax over axis 3).
    NDArray gamma = regionToWord(s, m, n); // [Bv, Bt, R, L]
    NDArray delta = filter(gamma, 3, l); // [Bv, Bt, R, L]
    NDArray numB = delta.mul(d).sum(new int[] {3}); // [Bv, Bt, R]: r^_k . c_k
    NDArray gramW = wn.matMul(wn.transpose(0, 2, 1)); // [Bt, L, L]
    NDArray deltaG = delta.transpose(1, 0, 2, 3).reshape(bt, bv * r, l).matMul(gramW) // [Bt, Bv*R, L]
        .reshape(bt, bv, r, l).transpose(1, 0, 2, 3); // [Bv, Bt, R, L]
    NDArray cNormSq = deltaG.mul(delta).sum(new int[] {3}); // [Bv, Bt, R]
    NDArray cosB = numB.div(safeSqrt(cNormSq)); // [Bv, Bt, R]
    NDArray regionValid = regionMask.gte(Nn.scalar(regionMask, -50f)).toType(DataType.FLOAT32, false)
        .reshape(bv, 1, r);
    NDArray b = validOnly ? maskedMean(cosB, regionValid) : cosB.mean(new int[] {2}); // [Bv, Bt]
    return new NDList(a, b);
  }

  /**
   * The region-to-word attention of direction B before the focal filter: for every region, a softmax over
   * the caption's word slots (padded words get ~0). Its argmax is the word a region aligns to.
   *
   * @param regions local video embeddings [Bv, R, E]
   * @param regionMask additive region mask [Bv, R]
   * @param words local word embeddings [Bt, L, E]
   * @param wordMask additive word mask [Bt, L]
   * @return gamma [Bv, Bt, R, L], in {@code regions}' manager
   */
  public NDArray regionAttention(NDArray regions, NDArray regionMask, NDArray words, NDArray wordMask) {
    long bv = regions.getShape().get(0);
    long r = regions.getShape().get(1);
    long e = regions.getShape().get(2);
    long bt = words.getShape().get(0);
    long l = words.getShape().get(1);
    NDArray d = unit(regions).reshape(bv * r, e).matMul(unit(words).reshape(bt * l, e).transpose())
        .reshape(bv, r, bt, l).transpose(0, 2, 1, 3); // [Bv, Bt, R, L]
    return regionToWord(Activation.leakyRelu(d, 0.1f), regionMask.reshape(bv, 1, r, 1),
        wordMask.reshape(1, bt, 1, l));
  }

  /** gamma = softmax over words of lambda (s normalised over regions + n + m), from s [Bv, Bt, R, L]. */
  private static NDArray regionToWord(NDArray s, NDArray m, NDArray n) {
    NDArray sB = s.div(s.square().sum(new int[] {2}, true).sqrt().add(Nn.scalar(s, 1e-8f))); // over regions
    return Nn.scale(sB.add(n).add(m), LAMBDA).softmax(3);
  }

  /** The focal_equal filter along {@code axis} (size {@code count}), then renormalisation. */
  private NDArray filter(NDArray weights, int axis, long count) {
    if (!focal) {
      return weights;
    }
    NDArray keep = Nn.scale(weights, count).sub(weights.sum(new int[] {axis}, true))
        .gt(Nn.scalar(weights, 0f)).toType(DataType.FLOAT32, false);
    NDArray kept = weights.mul(keep);
    return kept.div(kept.sum(new int[] {axis}, true));
  }

  private static NDArray unit(NDArray x) {
    return x.div(x.norm(new int[] {-1}, true).add(Nn.scalar(x, 1e-8f)));
  }

  private static NDArray safeSqrt(NDArray sq) {
    return sq.maximum(Nn.scalar(sq, 1e-16f)).sqrt(); // |x| clamped at 1e-8, as cosine_similarity's eps
  }

  private static NDArray maskedMean(NDArray x, NDArray valid) {
    return x.mul(valid).sum(new int[] {2}).div(valid.sum(new int[] {2}).maximum(Nn.scalar(valid, 1f)));
  }
}
