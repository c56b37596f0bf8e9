package regionvlp.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
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
   * One side of the alignment, prepared once per call however many blocks it meets: unit vectors, their
   * Gram matrix and the additive mask.
   *
   * @param unit unit vectors [n, S, E]
   * @param gram unit-vector Gram matrices [n, S, S]
   * @param mask additive mask [n, S] (0 real, -100 padded)
   */
  public record Side(NDArray unit, NDArray gram, NDArray mask) {
    long count() {
      return unit.getShape().get(0);
    }

    long slots() {
      return unit.getShape().get(1);
    }

    /** The items at {@code indices} (int64 [k]), copied. */
    Side gather(NDArray indices) {
      NDIndex at = new NDIndex("{}", indices);
      return new Side(unit.get(at), gram.get(at), mask.get(at));
    }

    /** Items [from, to) (views). */
    Side rows(long from, long to) {
      if (from == 0 && to == count()) {
        return this;
      }
      String rows = from + ":" + to;
      return new Side(unit.get(rows), gram.get(rows), mask.get(rows));
    }
  }

  /**
   * Unit vectors and Gram matrices of one side (regions of videos, or words of captions), in {@code
   * vectors}' manager.
   *
   * @param vectors local embeddings [n, S, E]
   * @param mask additive mask [n, S]
   */
  public static Side prepare(NDArray vectors, NDArray mask) {
    NDArray unit = unit(vectors);
    return new Side(unit, unit.matMul(unit.transpose(0, 2, 1)), mask);
  }

  /**
   * @param regions local video embeddings [Bv, R, E]
   * @param regionMask additive region mask [Bv, R] (0 real, -100 padded)
   * @param words local word embeddings [Bt, L, E]
   * @param wordMask additive word mask [Bt, L]
   * @return S [Bv, Bt], indexed [video, caption], in {@code regions}' manager
   */
  public NDArray similarity(NDArray regions, NDArray regionMask, NDArray words, NDArray wordMask) {
    return similarity(prepare(regions, regionMask), prepare(words, wordMask));
  }

  /**
   * S for every (video, caption) pair of two prepared sides, in blocks of videos x captions whose
   * [videos, captions, R, L] tensors hold at most the block size. Small blocks, with each intermediate
   * freed as soon as the next one exists, keep the working set in cache and let the allocator hand back
   * the same memory; one large block per call came from fresh pages on every allocation, and the page
   * faults dominated (quick-start training with the local term ran at 5 samples/s in one block and 15-25
   * in blocks of videos, docs/RESULTS.md).
   *
   * @return S [Bv, Bt], in the regions' manager
   */
  public NDArray similarity(Side regions, Side words) {
    long bv = regions.count();
    long bt = words.count();
    long pair = regions.slots() * words.slots();
    long tb = Math.max(1, Math.min(bt, chunkElements / pair)); // captions per block
    long vb = Math.max(1, Math.min(bv, chunkElements / (pair * tb))); // videos per block
    if (vb == bv && tb == bt) {
      return block(regions, words);
    }
    NDList rows = new NDList();
    for (long v0 = 0; v0 < bv; v0 += vb) {
      Side rv = regions.rows(v0, Math.min(bv, v0 + vb));
      NDList cols = new NDList();
      for (long t0 = 0; t0 < bt; t0 += tb) {
        cols.add(block(rv, words.rows(t0, Math.min(bt, t0 + tb))));
      }
      rows.add(cols.size() == 1 ? cols.get(0) : NDArrays.concat(cols, 1));
    }
    return rows.size() == 1 ? rows.get(0) : NDArrays.concat(rows, 0);
  }

  /**
   * S for every (video, caption) pair as floats, without autograd, for scoring: by the fused kernel when
   * this JVM has it, else by {@link #similarity(Side, Side)} ({@link RwaKernel}). Arrays made on the way are
   * closed.
   *
   * @return S [Bv x Bt], row-major by video
   */
  public float[] scores(Side regions, Side words) {
    if (RwaKernel.active() == RwaKernel.Kind.FUSED) {
      return RwaKernel.fused(focal, validOnly, regions, words, RwaKernel.VIDEOS_PER_BLOCK,
          RwaKernel.CAPTIONS_PER_BLOCK);
    }
    try (NDScope ignored = new NDScope()) {
      return similarity(regions, words).toFloatArray();
    }
  }

  /**
   * S of chosen pairs, without autograd: caption q of {@code words} with each video of {@code
   * videosOfCaption[q]} (indices into {@code regions}), as {@link #scores} computes them.
   *
   * @return the scores caption by caption, each caption's videos in the given order
   */
  public float[] scorePairs(Side regions, Side words, int[][] videosOfCaption) {
    if (RwaKernel.active() == RwaKernel.Kind.FUSED) {
      return RwaKernel.fusedPairs(focal, validOnly, regions, words, videosOfCaption);
    }
    int total = 0;
    for (int[] v : videosOfCaption) {
      total += v.length;
    }
    float[] out = new float[total];
    int at = 0;
    for (int q = 0; q < videosOfCaption.length; q++) {
      int[] videos = videosOfCaption[q];
      if (videos.length == 0) {
        continue;
      }
      try (NDScope ignored = new NDScope()) {
        NDArray picked = regions.unit().getManager()
            .create(java.util.Arrays.stream(videos).asLongStream().toArray());
        float[] s = similarity(regions.gather(picked), words.rows(q, q + 1)).toFloatArray(); // [k, 1]
        System.arraycopy(s, 0, out, at, s.length);
      }
      at += videos.length;
    }
    return out;
  }

  /** Elements of one block's [videos, captions, R, L] tensors: 512 K floats, 2 MB (128 K and 2 M were slower). */
  private static final long CHUNK_ELEMENTS = 512 * 1024L;

  /**
   * S of one block. Every full-size [videos, captions, R, L] intermediate is closed as soon as the next
   * one is made ({@link #then}); under autograd this only drops our handle, the engine keeps what the
   * backward pass needs.
   */
  private NDArray block(Side reg, Side wrd) {
    NDList ab = blockDirections(reg, wrd);
    NDArray sum = ab.get(0).add(ab.get(1));
    ab.close();
    return sum;
  }

  /**
   * The two directions separately, in one block; {@link #similarity} is their sum. For tests and small
   * inputs (the golden fixtures check A and B on their own).
   *
   * @return A (words attend over regions) and B (regions attend over words), each [Bv, Bt]
   */
  NDList directions(NDArray regions, NDArray regionMask, NDArray words, NDArray wordMask) {
    return blockDirections(prepare(regions, regionMask), prepare(words, wordMask));
  }

  private NDList blockDirections(Side reg, Side wrd) {
    long bv = reg.count();
    long r = reg.slots();
    long e = reg.unit().getShape().get(2);
    long bt = wrd.count();
    long l = wrd.slots();
    // One GEMM for all pairs; a broadcast batched matmul would materialise [Bv, Bt, R, E] copies.
    NDArray d = scoped(() -> reg.unit().reshape(bv * r, e).matMul(wrd.unit().reshape(bt * l, e).transpose())
        .reshape(bv, r, bt, l).transpose(0, 2, 1, 3)); // [Bv, Bt, R, L]
    NDArray s = Activation.leakyRelu(d, 0.1f); // [Bv, Bt, R, L]
    NDArray m = reg.mask().reshape(bv, 1, r, 1); // [Bv, 1, R, 1]
    NDArray n = wrd.mask().reshape(1, bt, 1, l); // [1, Bt, 1, L]

    // Direction A: each word attends over regions (softmax over axis 2).
    NDArray sA = s.div(norm(s, 3)); // normalised over words
    NDArray alpha = then(then(then(then(sA, x -> x.add(m)), x -> x.add(n)), x -> Nn.scale(x, LAMBDA)),
        x -> x.softmax(2)); // [Bv, Bt, R, L]
    NDArray beta = filter(alpha, 2, r); // [Bv, Bt, R, L]
    NDArray num = then(beta.mul(d), x -> x.sum(new int[] {2})); // [Bv, Bt, L]: w^_l . a_l
    NDArray aNormSq = scoped(() -> reg.gram().matMul(beta.transpose(0, 2, 1, 3).reshape(bv, r, bt * l))
        .reshape(bv, r, bt, l).transpose(0, 2, 1, 3) // [Bv, Bt, R, L]: (G_R beta)
        .mul(beta).sum(new int[] {2})); // [Bv, Bt, L]
    beta.close();
    NDArray cosA = num.div(safeSqrt(aNormSq)); // [Bv, Bt, L]
    NDArray wordValid = wrd.mask().gte(Nn.scalar(wrd.mask(), -50f)).toType(DataType.FLOAT32, false)
        .reshape(1, bt, l);
    NDArray a = validOnly ? maskedMean(cosA, wordValid) : cosA.mean(new int[] {2}); // [Bv, Bt]

    // Direction B: each region attends over words (softmax over axis 3).
    NDArray sB = s.div(norm(s, 2)); // normalised over regions
    s.close();
    NDArray gamma = then(then(then(then(sB, x -> x.add(n)), x -> x.add(m)), x -> Nn.scale(x, LAMBDA)),
        x -> x.softmax(3)); // [Bv, Bt, R, L]
    NDArray delta = filter(gamma, 3, l); // [Bv, Bt, R, L]
    NDArray numB = then(delta.mul(d), x -> x.sum(new int[] {3})); // [Bv, Bt, R]: r^_k . c_k
    d.close();
    NDArray cNormSq = scoped(() -> delta.transpose(1, 0, 2, 3).reshape(bt, bv * r, l).matMul(wrd.gram())
        .reshape(bt, bv, r, l).transpose(1, 0, 2, 3) // [Bv, Bt, R, L]: (delta G_W)
        .mul(delta).sum(new int[] {3})); // [Bv, Bt, R]
    delta.close();
    NDArray cosB = numB.div(safeSqrt(cNormSq)); // [Bv, Bt, R]
    NDArray regionValid = reg.mask().gte(Nn.scalar(reg.mask(), -50f)).toType(DataType.FLOAT32, false)
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
    NDArray s = Activation.leakyRelu(d, 0.1f);
    NDArray sB = s.div(norm(s, 2)); // normalised over regions
    return Nn.scale(sB.add(wordMask.reshape(1, bt, 1, l)).add(regionMask.reshape(bv, 1, r, 1)), LAMBDA)
        .softmax(3);
  }

  /**
   * Runs {@code body} in its own scope, which closes every array made inside (views and copies
   * included) except the result; the result joins the enclosing scope.
   */
  private static NDArray scoped(Supplier<NDArray> body) {
    NDArray out;
    try (NDScope ignored = new NDScope()) {
      out = body.get();
      NDScope.unregister(out);
    }
    NDScope.register(out);
    return out;
  }

  /** {@code op(x)}, then closes {@code x}: for intermediates that nothing else holds. */
  private static NDArray then(NDArray x, UnaryOperator<NDArray> op) {
    NDArray y = op.apply(x);
    x.close();
    return y;
  }

  /** sqrt(sum of squares along {@code axis}) + 1e-8, kept as a size-1 axis. */
  private static NDArray norm(NDArray s, int axis) {
    return then(s.square(), x -> x.sum(new int[] {axis}, true)).sqrt().add(Nn.scalar(s, 1e-8f));
  }

  /**
   * The focal_equal filter along {@code axis} (size {@code count}), then renormalisation. The original's
   * test {@code count * w - sum(w) > 0} is written as {@code count * w > sum(w)}: for finite floats a
   * rounded difference is positive exactly when the first operand is the larger, so the two select the
   * same weights, with one pass fewer.
   */
  private NDArray filter(NDArray weights, int axis, long count) {
    if (!focal) {
      return weights;
    }
    NDArray keep = then(Nn.scale(weights, count), x -> x.gt(weights.sum(new int[] {axis}, true)));
    NDArray kept = then(keep, k -> NDArrays.where(k, weights, Nn.scalar(weights, 0f)));
    weights.close();
    return then(kept, x -> x.div(x.sum(new int[] {axis}, true)));
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
