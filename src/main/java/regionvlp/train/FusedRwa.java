package regionvlp.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The RWA similarity of {@link RegionWordAlignment} without autograd, for scoring: the three matmuls run in
 * the engine, and everything element-wise between them runs here in a few fused passes per (video,
 * caption) pair with the JDK's vector API, instead of some thirty engine operators that each sweep the
 * [videos, captions, R, L] block (docs/PERFORMANCE.md, "RWA scoring"). Same definition, same float32
 * inputs; sums are taken in a different order, so results differ from the operator path by rounding
 * (RwaKernelTest bounds it).
 *
 * <p>Per block of videos x captions:
 *
 * <ol>
 *   <li>engine: d = r^ w^T for all pairs of the block, [videos R, captions L];
 *   <li>here, per pair: s = LeakyReLU(d); the row and column norms of s; the two softmaxes (over regions
 *       for each word, over words for each region; the mask that is constant along a softmax's axis is
 *       left out, and the logits are shifted by their bound lambda instead of their maximum, which changes
 *       nothing but rounding); the focal filter on the unnormalised weights (a weight is kept when count x
 *       e &gt; sum e, that is alpha &gt; 1/count); the kept weights, their sums Z and the numerators sum_k
 *       kept_kl d_kl and sum_l kept_kl d_kl;
 *   <li>engine: G_R kept_A and kept_B G_W;
 *   <li>here: the quadratic forms q = kept^T G kept, then cos = (num / Z) / max(sqrt(q) / Z, 1e-8), the
 *       same as normalising the kept weights first, and the two means.
 * </ol>
 *
 * Each worker of the pool runs whole blocks, its engine matmuls single-threaded. Needs the module {@code
 * jdk.incubator.vector} ({@code --add-modules jdk.incubator.vector}); {@link RwaKernel} falls back to the
 * operator path without it.
 */
final class FusedRwa {
  private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SP.length();
  private static final float LAMBDA = RegionWordAlignment.LAMBDA;

  /** Worker nanoseconds since start-up: engine matmuls, first pass, second pass. */
  static final LongAdder[] PHASE_NANOS = {new LongAdder(), new LongAdder(), new LongAdder()};

  private final boolean focal;
  private final boolean validOnly;
  private final int videosPerBlock;
  private final int captionsPerBlock;
  private final ForkJoinPool pool;

  /**
   * @param videosPerBlock videos per block
   * @param captionsPerBlock captions per block
   * @param pool the workers; each runs whole blocks, its matmuls included
   */
  FusedRwa(boolean focal, boolean validOnly, int videosPerBlock, int captionsPerBlock, ForkJoinPool pool) {
    this.focal = focal;
    this.validOnly = validOnly;
    this.videosPerBlock = videosPerBlock;
    this.captionsPerBlock = captionsPerBlock;
    this.pool = pool;
  }

  /**
   * S for every (video, caption) pair of two prepared sides.
   *
   * @return S [videos x captions], row-major by video
   */
  float[] similarity(RegionWordAlignment.Side regions, RegionWordAlignment.Side words) {
    int nv = Math.toIntExact(regions.count());
    int nt = Math.toIntExact(words.count());
    if (nv == 0 || nt == 0) {
      return new float[0];
    }
    int tb = Math.min(captionsPerBlock, nt);
    // Few captions (a re-ranked query): more videos per block, but enough blocks for every worker.
    int vb = tb == captionsPerBlock ? Math.min(videosPerBlock, nv)
        : Math.max(1, Math.min(nv, Math.min(ceilDiv(videosPerBlock * captionsPerBlock, tb),
            ceilDiv(nv, 2 * pool.getParallelism()))));
    List<Block> blocks = new ArrayList<>();
    for (int v0 = 0; v0 < nv; v0 += vb) {
      int[] videos = range(v0, Math.min(nv, v0 + vb));
      for (int t0 = 0; t0 < nt; t0 += tb) {
        int[] outBase = new int[videos.length];
        for (int i = 0; i < videos.length; i++) {
          outBase[i] = videos[i] * nt + t0;
        }
        blocks.add(new Block(videos, t0, Math.min(nt, t0 + tb), outBase));
      }
    }
    return run(regions, words, blocks, nv * nt);
  }

  /**
   * S for chosen pairs: caption q with each video of {@code videosOfCaption[q]} (indices into {@code
   * regions}).
   *
   * @return the scores caption by caption, each caption's videos in the given order
   */
  float[] pairs(RegionWordAlignment.Side regions, RegionWordAlignment.Side words, int[][] videosOfCaption) {
    int total = 0;
    for (int[] v : videosOfCaption) {
      total += v.length;
    }
    int most = Math.max(1, Math.min(videosPerBlock * captionsPerBlock, ceilDiv(total, 2 * pool.getParallelism())));
    List<Block> blocks = new ArrayList<>();
    int at = 0;
    for (int q = 0; q < videosOfCaption.length; q++) {
      int[] videos = videosOfCaption[q];
      int pieces = ceilDiv(videos.length, most);
      for (int p = 0; p < pieces; p++) {
        int from = (int) ((long) videos.length * p / pieces);
        int to = (int) ((long) videos.length * (p + 1) / pieces);
        int[] outBase = range(at + from, at + to);
        blocks.add(new Block(java.util.Arrays.copyOfRange(videos, from, to), q, q + 1, outBase));
      }
      at += videos.length;
    }
    return run(regions, words, blocks, total);
  }

  /** Videos (indices into the regions side) x captions [t0, t1); S of (video i, caption t0 + c) goes to outBase[i] + c. */
  private record Block(int[] videos, int t0, int t1, int[] outBase) {}

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  private static int[] range(int from, int to) {
    int[] out = new int[to - from];
    for (int i = 0; i < out.length; i++) {
      out[i] = from + i;
    }
    return out;
  }

  /**
   * Runs the blocks on the pool. They run in parallel, one per worker at a time, each with single-threaded
   * engine matmuls: the engine's own worker threads would otherwise spin between operators on the cores the
   * element-wise passes need. The engine's thread count is restored afterwards. One call at a time per JVM.
   */
  private float[] run(RegionWordAlignment.Side regions, RegionWordAlignment.Side words, List<Block> blocks,
      int size) {
    int r = Math.toIntExact(regions.slots());
    int l = Math.toIntExact(words.slots());
    float[] regionMask = regions.mask().toFloatArray();
    float[] wordMask = words.mask().toFloatArray();
    float[] out = new float[size];
    List<Future<?>> pending = new ArrayList<>();
    synchronized (FusedRwa.class) {
      int engineThreads = JniUtils.getNumThreads();
      JniUtils.setNumThreads(1);
      try {
        for (Block b : blocks) {
          pending.add(pool.submit(() -> block(regions, words, b, r, l, regionMask, wordMask, out)));
        }
        await(pending);
      } finally {
        for (Future<?> f : pending) {
          f.cancel(false);
        }
        JniUtils.setNumThreads(engineThreads);
      }
    }
    return out;
  }

  private static void await(List<Future<?>> pending) {
    try {
      for (Future<?> f : pending) {
        f.get();
      }
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("RWA scoring interrupted", ex);
    } catch (ExecutionException ex) {
      Throwable cause = ex.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("RWA scoring failed", cause);
    }
  }

  /** What the first element-wise pass leaves for the second, per pair of the block. */
  private static final class PairStats {
    final float[] numA; // [pairs, L]
    final float[] zA;
    final float[] numB; // [pairs, R]
    final float[] zB;

    PairStats(int pairs, int r, int l) {
      numA = new float[pairs * l];
      zA = new float[pairs * l];
      numB = new float[pairs * r];
      zB = new float[pairs * r];
    }
  }

  /** One block, on a worker: the matmuls in the engine (one thread), the passes here. */
  private void block(RegionWordAlignment.Side regions, RegionWordAlignment.Side words, Block b, int r, int l,
      float[] regionMask, float[] wordMask, float[] out) {
    Scratch x = scratch(r, l);
    if (!x.singleEngineThread) {
      JniUtils.setNumThreads(1); // this thread's OpenMP setting; the engine's global one is already 1
      x.singleEngineThread = true;
    }
    int vb = b.videos().length;
    int tb = b.t1() - b.t0();
    int t0 = b.t0();
    int cells = vb * r * tb * l;
    x.buffers(cells);
    try (NDScope ignored = new NDScope()) {
      long start = System.nanoTime();
      NDManager m = regions.unit().getManager();
      int rowLen = tb * l;
      long e = regions.unit().getShape().get(2);
      NDArray uwT = words.unit().get(t0 + ":" + b.t1()).reshape((long) tb * l, e).transpose();
      // d of each video, [R, tb L]. Consecutive videos share one GEMM; others get one each, on views of the
      // prepared side, so nothing is copied.
      boolean together = consecutive(b.videos());
      int v0 = b.videos()[0];
      PerVideo dOf = perVideo(together, vb, r * rowLen,
          () -> regions.unit().get(v0 + ":" + (v0 + vb)).reshape((long) vb * r, e).matMul(uwT),
          i -> regions.unit().get(b.videos()[i]).matMul(uwT));
      long afterD = System.nanoTime();
      PairStats stats = new PairStats(vb * tb, r, l);
      FloatBuffer kaView = x.keptA.asFloatBuffer();
      FloatBuffer kbView = x.keptB.asFloatBuffer();
      for (int i = 0; i < vb; i++) {
        firstPass(x, dOf.views[i], dOf.bases[i], kaView, kbView, stats, i, vb, tb, r, l, regionMask, b.videos()[i] * r,
            wordMask, t0);
      }
      long afterFirst = System.nanoTime();
      NDArray ka = m.create(x.keptA.slice(0, cells * 4), new Shape(vb, r, (long) tb * l), DataType.FLOAT32);
      NDArray kb = m.create(x.keptB.slice(0, cells * 4), new Shape(tb, (long) vb * r, l), DataType.FLOAT32);
      // G_R kept_A of each video, [R, tb L].
      PerVideo qaOf = perVideo(together, vb, r * rowLen, () -> regions.gram().get(v0 + ":" + (v0 + vb)).matMul(ka),
          i -> regions.gram().get(b.videos()[i]).matMul(ka.get(i)));
      FloatBuffer qbView = view(kb.matMul(words.gram().get(t0 + ":" + b.t1()))); // [tb, vb R, L]: kept_B G_W
      long afterQ = System.nanoTime();
      for (int i = 0; i < vb; i++) {
        secondPass(x, kaView, qaOf.views[i], qaOf.bases[i], kbView, qbView, stats, i, vb, tb, r, l, regionMask,
            b.videos()[i] * r, wordMask, t0, out, b.outBase()[i]);
      }
      PHASE_NANOS[0].add(afterD - start + afterQ - afterFirst);
      PHASE_NANOS[1].add(afterFirst - afterD);
      PHASE_NANOS[2].add(System.nanoTime() - afterQ);
    }
  }

  /** A block's per-video results: video i's floats start at bases[i] of views[i]. */
  private record PerVideo(FloatBuffer[] views, int[] bases) {}

  /**
   * One engine result for the whole block ({@code joint}, video i at i x {@code floatsPerVideo}) when its
   * videos are consecutive, else one per video ({@code single}).
   */
  private static PerVideo perVideo(boolean together, int vb, int floatsPerVideo,
      java.util.function.Supplier<NDArray> joint, java.util.function.IntFunction<NDArray> single) {
    FloatBuffer[] views = new FloatBuffer[vb];
    int[] bases = new int[vb];
    FloatBuffer shared = together ? view(joint.get()) : null;
    for (int i = 0; i < vb; i++) {
      views[i] = together ? shared : view(single.apply(i));
      bases[i] = together ? i * floatsPerVideo : 0;
    }
    return new PerVideo(views, bases);
  }

  private static boolean consecutive(int[] v) {
    for (int i = 1; i < v.length; i++) {
      if (v[i] != v[0] + i) {
        return false;
      }
    }
    return true;
  }

  private static FloatBuffer view(NDArray x) {
    return x.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /** Per-worker arrays: one pair's [R, Lp] tiles (Lp = L rounded up to whole vectors) and row buffers. */
  private static final class Scratch {
    final int r;
    final int l;
    final int lp;
    final float[] d;
    final float[] ea;
    final float[] colSq;
    final float[] colSum;
    final float[] invCol;
    final float[] numA;
    final float[] zA;
    final float[] row;
    final float[] wordBias;
    private final float[][] grown = new float[5][0];
    /** Direct buffers the kept weights are written to; the engine reads them in place. */
    ByteBuffer keptA = ByteBuffer.allocateDirect(0);
    ByteBuffer keptB = ByteBuffer.allocateDirect(0);
    boolean singleEngineThread;

    Scratch(int r, int l) {
      this.r = r;
      this.l = l;
      this.lp = (l + LANES - 1) / LANES * LANES;
      d = new float[r * lp];
      ea = new float[r * lp];
      colSq = new float[lp];
      colSum = new float[lp];
      invCol = new float[lp];
      numA = new float[lp];
      zA = new float[lp];
      row = new float[lp];
      wordBias = new float[lp];
    }

    void buffers(int floats) {
      if (keptA.capacity() < floats * 4) {
        keptA = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder());
        keptB = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder());
      }
    }

    /** Work array {@code which} (0-4), at least {@code n} long; kept for the next pair. */
    float[] grow(int which, int n) {
      if (grown[which].length < n) {
        grown[which] = new float[n];
      }
      return grown[which];
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

  private static Scratch scratch(int r, int l) {
    Scratch s = SCRATCH.get();
    if (s == null || s.r != r || s.l != l) {
      s = new Scratch(r, l);
      SCRATCH.set(s);
    }
    return s;
  }

  /**
   * Video {@code i} of the block with each of its captions: reads d (rows of tb L floats from {@code dBase}),
   * writes the kept weights of both directions (kept_A in the layout [vb, R, tb L], kept_B in [tb, vb R, L])
   * and the pair statistics.
   */
  private void firstPass(Scratch x, FloatBuffer dView, int dBase, FloatBuffer kaView, FloatBuffer kbView,
      PairStats stats, int i, int vb, int tb, int r, int l, float[] regionMask, int regionOff, float[] wordMask,
      int t0) {
    int lp = x.lp;
    int rowLen = tb * l; // floats per row of d and kept_A (one region, every caption of the block)
    float[] kbTile = x.grow(2, r * l);
    for (int c = 0; c < tb; c++) {
      int first = i * r * rowLen + c * l; // the pair's first element in kept_A
      for (int k = 0; k < r; k++) {
        dView.get(dBase + k * rowLen + c * l, x.d, k * lp, l); // the padding lanes past L stay 0
      }
      pairFirst(x, regionMask, regionOff, wordMask, (t0 + c) * l, kaView, first, rowLen, kbTile, stats,
          i * tb + c);
      kbView.put((c * vb + i) * r * l, kbTile, 0, r * l);
    }
  }

  /**
   * One pair's first pass over its [R, Lp] tile of d in {@code x.d}, in two sweeps over the regions. Each
   * loop is its own small method: the vector API is fast only when C2 inlines every vector call of a loop,
   * and one large method exceeds its inlining budget.
   *
   * <p>Both softmaxes shift their logits by lambda, the largest a logit can be (|s| over its norm is at most
   * 1 and the masks are at most 0), instead of by their maximum: the same weights up to rounding, with no
   * pass for the maxima. Real slots' exponentials then lie in [e^-2 lambda, 1], far from underflow; padded
   * slots' are 0, as in the original.
   */
  private void pairFirst(Scratch x, float[] regionMask, int regionOff, float[] wordMask, int wordOff,
      FloatBuffer kaView, int kaFirst, int kaStride, float[] kbTile, PairStats stats, int pair) {
    int r = x.r;
    int l = x.l;
    int lp = x.lp;
    // Word bias of direction B: lambda n_l - lambda on real lanes, -inf on the padding lanes past L.
    for (int j = 0; j < lp; j++) {
      x.wordBias[j] = j < l ? LAMBDA * wordMask[wordOff + j] - LAMBDA : Float.NEGATIVE_INFINITY;
      x.colSq[j] = 0f;
      x.colSum[j] = 0f;
      x.numA[j] = 0f;
      x.zA[j] = 0f;
    }
    // 1. Per region k, with s = LeakyReLU(d): A's weights exp(lambda s / |s_k.| + lambda m_k - lambda) and
    //    their column sums (softmax over regions, per word); the column sums of s^2 for B.
    for (int k = 0; k < r; k++) {
      int base = k * lp;
      float inv = LAMBDA / ((float) Math.sqrt(squares(x.d, x.colSq, base, lp)) + 1e-8f);
      expA(x, base, inv, LAMBDA * regionMask[regionOff + k] - LAMBDA);
    }
    invNorms(x.colSq, x.invCol, lp);
    // 2. Per region k: B whole (weights exp(lambda s / |s_.l| + lambda n_l - lambda), softmax over words,
    //    focal filter, kept weights into kbTile, their sums); A's focal filter, kept weights (to the
    //    engine's buffer), their column sums and numerators.
    int pairR = pair * r;
    for (int k = 0; k < r; k++) {
      int base = k * lp;
      float sum = expB(x, base);
      long nz = keptB(x, base, l, sum);
      System.arraycopy(x.row, 0, kbTile, k * l, l);
      stats.numB[pairR + k] = Float.intBitsToFloat((int) (nz >>> 32));
      stats.zB[pairR + k] = Float.intBitsToFloat((int) nz);
      keptA(x, base, r);
      kaView.put(kaFirst + k * kaStride, x.row, 0, l);
    }
    System.arraycopy(x.numA, 0, stats.numA, pair * l, l);
    System.arraycopy(x.zA, 0, stats.zA, pair * l, l);
  }

  /**
   * e^x for x &lt;= 0, inline: Cody-Waite reduction x = n ln 2 + f, |f| &lt;= ln 2 / 2, and Cephes' degree-7
   * polynomial for e^f (within about 1 ulp of float32 exp), scaled by 2^n through the exponent bits. The
   * library's vector EXP is a call that spills every vector register of the loop around it; this is about
   * twice as fast here. Arguments below -80 (padded slots, -inf) give e^-80, about 2e-35, instead of 0: no
   * float32 sum of weights that holds a real slot (each at least e^-40) can tell the difference, and the
   * focal filter never keeps them.
   */
  static FloatVector exp(FloatVector x) {
    FloatVector c = x.max(-80f);
    // round(c / ln 2) by the 1.5 * 2^23 shifter: its low mantissa bits then hold n.
    FloatVector shifted = c.mul(LOG2E).add(SHIFTER);
    FloatVector n = shifted.sub(SHIFTER);
    FloatVector f = n.fma(NEG_LN2_LO, n.fma(NEG_LN2_HI, c)); // c - n ln 2, in two parts
    FloatVector p = f.fma(EXP_P0, EXP_P1);
    p = p.fma(f, EXP_P2);
    p = p.fma(f, EXP_P3);
    p = p.fma(f, EXP_P4);
    p = p.fma(f, EXP_P5);
    p = p.fma(f.mul(f), f.add(1f));
    IntVector bits = p.viewAsIntegralLanes().add(shifted.viewAsIntegralLanes().lanewise(VectorOperators.LSHL, 23));
    return bits.viewAsFloatingLanes();
  }

  private static final float LOG2E = 1.44269504088896341f;
  private static final float SHIFTER = 0x1.8p23f;
  private static final float LN2_HI = 0.693359375f;
  private static final float LN2_LO = -2.12194440e-4f;
  private static final FloatVector NEG_LN2_HI = FloatVector.broadcast(SP, -LN2_HI);
  private static final FloatVector NEG_LN2_LO = FloatVector.broadcast(SP, -LN2_LO);
  private static final FloatVector EXP_P0 = FloatVector.broadcast(SP, 1.9875691500e-4f);
  private static final FloatVector EXP_P1 = FloatVector.broadcast(SP, 1.3981999507e-3f);
  private static final FloatVector EXP_P2 = FloatVector.broadcast(SP, 8.3334519073e-3f);
  private static final FloatVector EXP_P3 = FloatVector.broadcast(SP, 4.1665795894e-2f);
  private static final FloatVector EXP_P4 = FloatVector.broadcast(SP, 1.6666665459e-1f);
  private static final FloatVector EXP_P5 = FloatVector.broadcast(SP, 5.0000001201e-1f);

  /** Sum of s^2 over one row, s = LeakyReLU_0.1(d); also adds s^2 into {@code colSq}. */
  private static float squares(float[] d, float[] colSq, int base, int lp) {
    FloatVector acc = FloatVector.zero(SP);
    for (int j = 0; j < lp; j += LANES) {
      FloatVector dv = FloatVector.fromArray(SP, d, base + j);
      FloatVector sv = dv.max(dv.mul(0.1f));
      FloatVector sq = sv.mul(sv);
      acc = acc.add(sq);
      FloatVector.fromArray(SP, colSq, j).add(sq).intoArray(colSq, j);
    }
    return acc.reduceLanes(VectorOperators.ADD);
  }

  /** inv = lambda / (sqrt(sq) + 1e-8). */
  private static void invNorms(float[] sq, float[] inv, int lp) {
    for (int j = 0; j < lp; j += LANES) {
      FloatVector.broadcast(SP, LAMBDA)
          .div(FloatVector.fromArray(SP, sq, j).lanewise(VectorOperators.SQRT).add(1e-8f))
          .intoArray(inv, j);
    }
  }

  /** A's weights of one row, exp(s rowInv + bias), into {@code x.ea}; adds them into the column sums. */
  private static void expA(Scratch x, int base, float rowInv, float bias) {
    FloatVector inv = FloatVector.broadcast(SP, rowInv);
    FloatVector b = FloatVector.broadcast(SP, bias);
    for (int j = 0; j < x.lp; j += LANES) {
      FloatVector dv = FloatVector.fromArray(SP, x.d, base + j);
      FloatVector a = exp(dv.max(dv.mul(0.1f)).fma(inv, b));
      a.intoArray(x.ea, base + j);
      FloatVector.fromArray(SP, x.colSum, j).add(a).intoArray(x.colSum, j);
    }
  }

  /** B's weights of one row, exp(s invCol + wordBias), into {@code x.row}; returns their sum. */
  private static float expB(Scratch x, int base) {
    FloatVector sum = FloatVector.zero(SP);
    for (int j = 0; j < x.lp; j += LANES) {
      FloatVector dv = FloatVector.fromArray(SP, x.d, base + j);
      FloatVector b = exp(dv.max(dv.mul(0.1f))
          .fma(FloatVector.fromArray(SP, x.invCol, j), FloatVector.fromArray(SP, x.wordBias, j)));
      b.intoArray(x.row, j);
      sum = sum.add(b);
    }
    return sum.reduceLanes(VectorOperators.ADD);
  }

  /**
   * B's kept weights of one row, in place in {@code x.row}.
   *
   * @return their d-weighted sum (high 32 bits) and their sum (low 32 bits), as float bits
   */
  private long keptB(Scratch x, int base, int count, float rowSum) {
    FloatVector zero = FloatVector.zero(SP);
    FloatVector sum = FloatVector.broadcast(SP, rowSum);
    FloatVector num = zero;
    FloatVector z = zero;
    for (int j = 0; j < x.lp; j += LANES) {
      FloatVector b = FloatVector.fromArray(SP, x.row, j);
      if (focal) {
        b = zero.blend(b, b.mul((float) count).compare(VectorOperators.GT, sum));
      }
      b.intoArray(x.row, j);
      num = FloatVector.fromArray(SP, x.d, base + j).fma(b, num);
      z = z.add(b);
    }
    return ((long) Float.floatToRawIntBits(num.reduceLanes(VectorOperators.ADD)) << 32)
        | (Float.floatToRawIntBits(z.reduceLanes(VectorOperators.ADD)) & 0xffffffffL);
  }

  /** A's kept weights of one row into {@code x.row}; adds them and their d-weighted sum per column. */
  private void keptA(Scratch x, int base, int count) {
    FloatVector zero = FloatVector.zero(SP);
    for (int j = 0; j < x.lp; j += LANES) {
      FloatVector a = FloatVector.fromArray(SP, x.ea, base + j);
      if (focal) {
        a = zero.blend(a, a.mul((float) count).compare(VectorOperators.GT, FloatVector.fromArray(SP, x.colSum, j)));
      }
      a.intoArray(x.row, j);
      FloatVector.fromArray(SP, x.d, base + j).fma(a, FloatVector.fromArray(SP, x.numA, j)).intoArray(x.numA, j);
      FloatVector.fromArray(SP, x.zA, j).add(a).intoArray(x.zA, j);
    }
  }

  /**
   * Video {@code i} of the block with each of its captions: the quadratic forms q_A (sum over regions of kept_A
   * (G_R kept_A)) and q_B (sum over words of kept_B (kept_B G_W)), then S of each pair into {@code out}.
   */
  private void secondPass(Scratch x, FloatBuffer kaView, FloatBuffer qaView, int qaBase, FloatBuffer kbView,
      FloatBuffer qbView, PairStats stats, int i, int vb, int tb, int r, int l, float[] regionMask, int regionOff,
      float[] wordMask, int t0, float[] out, int outRow) {
    int rowLen = tb * l;
    int span = tb * l;
    float[] ka = x.grow(0, span);
    float[] qa = x.grow(1, span);
    float[] qA = x.grow(2, span); // [captions of the block, L]
    java.util.Arrays.fill(qA, 0, span, 0f);
    int bound = SP.loopBound(span);
    for (int k = 0; k < r; k++) {
      kaView.get((i * r + k) * rowLen, ka, 0, span);
      qaView.get(qaBase + k * rowLen, qa, 0, span);
      int j = 0;
      for (; j < bound; j += LANES) {
        FloatVector.fromArray(SP, ka, j).fma(FloatVector.fromArray(SP, qa, j), FloatVector.fromArray(SP, qA, j))
            .intoArray(qA, j);
      }
      for (; j < span; j++) {
        qA[j] += ka[j] * qa[j];
      }
    }
    float[] kb = x.grow(3, r * l); // [R, L] tiles
    float[] qb = x.grow(4, r * l);
    int tileBound = SP.loopBound(l);
    for (int c = 0; c < tb; c++) {
      int pair = i * tb + c;
      kbView.get((c * vb + i) * r * l, kb, 0, r * l);
      qbView.get((c * vb + i) * r * l, qb, 0, r * l);
      double sumA = 0;
      double validA = 0;
      for (int w = 0; w < l; w++) {
        float z = stats.zA[pair * l + w];
        float cos = (stats.numA[pair * l + w] / z)
            / Math.max((float) Math.sqrt(qA[c * l + w]) / z, 1e-8f);
        if (validOnly) {
          float valid = wordMask[(t0 + c) * l + w] >= -50f ? 1f : 0f;
          sumA += cos * valid;
          validA += valid;
        } else {
          sumA += cos;
        }
      }
      double sumB = 0;
      double validB = 0;
      for (int k = 0; k < r; k++) {
        int base = k * l;
        FloatVector acc = FloatVector.zero(SP);
        int j = 0;
        for (; j < tileBound; j += LANES) {
          acc = FloatVector.fromArray(SP, kb, base + j).fma(FloatVector.fromArray(SP, qb, base + j), acc);
        }
        float q = acc.reduceLanes(VectorOperators.ADD);
        for (; j < l; j++) {
          q += kb[base + j] * qb[base + j];
        }
        float z = stats.zB[pair * r + k];
        float cos = (stats.numB[pair * r + k] / z) / Math.max((float) Math.sqrt(q) / z, 1e-8f);
        if (validOnly) {
          float valid = regionMask[regionOff + k] >= -50f ? 1f : 0f;
          sumB += cos * valid;
          validB += valid;
        } else {
          sumB += cos;
        }
      }
      float a = (float) (validOnly ? sumA / Math.max(validA, 1) : sumA / l);
      float b = (float) (validOnly ? sumB / Math.max(validB, 1) : sumB / r);
      out[outRow + c] = a + b;
    }
  }
}
