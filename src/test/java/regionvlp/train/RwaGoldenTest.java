package regionvlp.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import regionvlp.eval.Similarity;
import regionvlp.model.DualEncoder;
import regionvlp.model.TextEmbeddings;
import regionvlp.model.VideoEmbeddings;
import regionvlp.run.Json;

/**
 * G, the RWA similarity (and each of its two directions) and the loss terms against golden values produced
 * by the ORIGINAL DemoVLP code (showlab/DemoVLP model/loss.py and model/model.py's sim_matrix at fc5a31d, run
 * by {@code tools/make_rwa_fixtures.py} under Debian's python3-torch; generator, source commit, torch
 * version and seed are recorded in the fixture). 3 videos of 10 region slots, 4 captions of 7 word slots,
 * width 16, padded slots in both (holding random vectors); plus a crafted case whose padded slots point along
 * the words, so that a mask weaker than -100 lets them win.
 *
 * <p>Tolerance: relative 1e-5 ({@code |ours - original| / max(1, |original|)}), in float32. The original
 * mixes in float64 (the loader's region mask); on this fixture the worst relative difference in S is 1.1e-6.
 */
class RwaGoldenTest {
  static final double TOL = 1e-5;

  static JsonNode golden() throws Exception {
    try (InputStream in = RwaGoldenTest.class.getResourceAsStream("/golden/rwa.json")) {
      assertThat(in).as("golden/rwa.json on the test class path (run tools/make_rwa_fixtures.py)").isNotNull();
      return Json.MAPPER.readTree(in);
    }
  }

  static float[] floats(JsonNode n) {
    assertThat(n.isArray()).as("fixture field is an array: %s", n).isTrue();
    float[] f = new float[n.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) n.get(i).asDouble();
    }
    return f;
  }

  static float[] flat(float[][] m) {
    float[] f = new float[m.length * m[0].length];
    for (int i = 0; i < m.length; i++) {
      System.arraycopy(m[i], 0, f, i * m[0].length, m[0].length);
    }
    return f;
  }

  static float[][] rows(float[] f, int n) {
    float[][] m = new float[n][];
    int w = f.length / n;
    for (int i = 0; i < n; i++) {
      m[i] = Arrays.copyOfRange(f, i * w, (i + 1) * w);
    }
    return m;
  }

  /** Fails with the worst element as [row, column] of a [.., cols] matrix when its relative error reaches TOL. */
  static void assertClose(float[] got, float[] want, int cols, String what) {
    assertThat(got).as(what + " size").hasSameSizeAs(want);
    double worst = -1;
    int at = 0;
    for (int i = 0; i < got.length; i++) {
      double err = Math.abs(got[i] - want[i]) / Math.max(1.0, Math.abs(want[i]));
      if (!(err <= worst)) { // NaN counts as worst
        worst = err;
        at = i;
      }
    }
    assertThat(worst).as("%s: worst relative error %.3g at [%d, %d]: ours %.8f, original %.8f",
        what, worst, at / cols, at % cols, got[at], want[at]).isLessThan(TOL);
  }

  static void assertClose(double got, double want, String what) {
    assertClose(new float[] {(float) got}, new float[] {(float) want}, 1, what);
  }

  /** The RWA inputs of one fixture block ({@code at}: the fixture itself or its "pointed" part). */
  record Inputs(NDArray regions, NDArray regionMask, NDArray words, NDArray wordMask) {
    static Inputs of(NDManager m, JsonNode g, JsonNode at) {
      JsonNode sh = g.path("shapes");
      int r = sh.path("regionSlots").asInt();
      int l = sh.path("wordSlots").asInt();
      int e = sh.path("dim").asInt();
      int bv = at == g ? sh.path("videos").asInt() : at.path("videos").asInt();
      int bt = at == g ? sh.path("captions").asInt() : at.path("captions").asInt();
      return new Inputs(m.create(floats(at.path("regions")), new Shape(bv, r, e)),
          m.create(floats(at.path("regionMask")), new Shape(bv, r)),
          m.create(floats(at.path("words")), new Shape(bt, l, e)),
          m.create(floats(at.path("wordMask")), new Shape(bt, l)));
    }

    int videos() {
      return Math.toIntExact(regions.getShape().get(0));
    }

    int captions() {
      return Math.toIntExact(words.getShape().get(0));
    }
  }

  /**
   * The fused scoring kernel (FusedRwa) against the same outputs of the original code, in blocks of every
   * size from one pair to the whole set.
   */
  @Test
  void fusedKernelMatchesTheOriginalCode() throws Exception {
    assertThat(RwaKernel.fusedAvailable()).as("the test JVM runs with --add-modules jdk.incubator.vector").isTrue();
    JsonNode g = golden();
    JsonNode pt = g.path("pointed");
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = Inputs.of(m, g, g);
      Inputs pin = Inputs.of(m, g, pt);
      RegionWordAlignment.Side reg = RegionWordAlignment.prepare(in.regions(), in.regionMask());
      RegionWordAlignment.Side wrd = RegionWordAlignment.prepare(in.words(), in.wordMask());
      RegionWordAlignment.Side preg = RegionWordAlignment.prepare(pin.regions(), pin.regionMask());
      RegionWordAlignment.Side pwrd = RegionWordAlignment.prepare(pin.words(), pin.wordMask());
      int bv = in.videos();
      int bt = in.captions();
      int pc = pin.captions();
      int[][] blocks = {{1, 1}, {2, 3}, {bv, bt}};
      for (int[] b : blocks) {
        String at = " (fused kernel, blocks of " + b[0] + " x " + b[1] + ")";
        assertClose(RwaKernel.fused(true, false, reg, wrd, b[0], b[1]), floats(g.path("simFocal")), bt,
            "S with focal_equal" + at);
        assertClose(RwaKernel.fused(false, false, reg, wrd, b[0], b[1]), floats(g.path("simNoFocal")), bt,
            "S without focal filter" + at);
        assertClose(RwaKernel.fused(true, false, preg, pwrd, b[0], b[1]), floats(pt.path("simFocal")), pc,
            "S, pointed padding" + at);
      }
    }
  }

  @Test
  void similarityItsDirectionsGAndLossesMatchTheOriginalCode() throws Exception {
    JsonNode g = golden();
    JsonNode sh = g.path("shapes");
    int bv = sh.path("videos").asInt();
    int bt = sh.path("captions").asInt();
    int l = sh.path("wordSlots").asInt();
    int e = sh.path("dim").asInt();
    int eg = sh.path("globalDim").asInt();
    float[] words = floats(g.path("words")); // the square case below pads them to bv captions
    float[] wordMask = floats(g.path("wordMask"));
    try (NDManager m = NDManager.newBaseManager()) {
      Inputs in = Inputs.of(m, g, g);
      NDArray rv = in.regions();
      NDArray rm = in.regionMask();
      NDArray wv = in.words();
      NDArray wm = in.wordMask();
      RegionWordAlignment focal = new RegionWordAlignment(true, false);
      assertClose(focal.similarity(rv, rm, wv, wm).toFloatArray(), floats(g.path("simFocal")), bt,
          "S with focal_equal [video, caption]");
      NDList ab = focal.directions(rv, rm, wv, wm);
      assertClose(ab.get(0).toFloatArray(), floats(g.path("simFocalA")), bt, "A (i2t_sim: words attend over regions)");
      assertClose(ab.get(1).toFloatArray(), floats(g.path("simFocalB")), bt, "B (t2i_sim^T: regions attend over words)");
      assertClose(new RegionWordAlignment(false, false).similarity(rv, rm, wv, wm).toFloatArray(),
          floats(g.path("simNoFocal")), bt, "S without focal filter");
      // One video per block: the blocked path gives the same values.
      assertClose(new RegionWordAlignment(true, false, 1).similarity(rv, rm, wv, wm).toFloatArray(),
          floats(g.path("simFocal")), bt, "S with focal_equal, one video per block");

      // Padded slots pointing along the words: they would take over the attention under a weaker mask.
      JsonNode pt = g.path("pointed");
      Inputs pin = Inputs.of(m, g, pt);
      int pc = pin.captions();
      NDArray prv = pin.regions();
      NDArray prm = pin.regionMask();
      NDArray pwv = pin.words();
      NDArray pwm = pin.wordMask();
      assertClose(focal.similarity(prv, prm, pwv, pwm).toFloatArray(), floats(pt.path("simFocal")), pc,
          "S, pointed padding");
      NDList pab = focal.directions(prv, prm, pwv, pwm);
      assertClose(pab.get(0).toFloatArray(), floats(pt.path("simFocalA")), pc, "A, pointed padding");
      assertClose(pab.get(1).toFloatArray(), floats(pt.path("simFocalB")), pc, "B, pointed padding");

      // G, non-square: [captions, videos], from the engine (training) and from plain arrays (evaluation).
      float[] tg = floats(g.path("textGlobal"));
      float[] vg = floats(g.path("videoGlobal"));
      NDArray tgA = m.create(tg, new Shape(bt, eg));
      NDArray vgA = m.create(vg, new Shape(bv, eg));
      float[] gAll = floats(g.path("globalSimAll"));
      assertClose(DualEncoder.cosine(tgA, vgA).toFloatArray(), gAll, bv, "G = sim_matrix (DualEncoder.cosine)");
      assertClose(flat(Similarity.cosine(rows(tg, bt), rows(vg, bv))), gAll, bv, "G = sim_matrix (Similarity.cosine)");

      // Loss terms on the square case: the first bv captions paired with the bv videos.
      NDArray sqWords = m.create(Arrays.copyOf(words, bv * l * e), new Shape(bv, l, e));
      NDArray sqMask = m.create(Arrays.copyOf(wordMask, bv * l), new Shape(bv, l));
      NDArray sqText = m.create(Arrays.copyOf(tg, bv * eg), new Shape(bv, eg));
      double local = new LocalAlignmentLoss().compute(focal.similarity(rv, rm, sqWords, sqMask)).getFloat();
      double global = new ContrastiveLoss(0.05f).compute(DualEncoder.cosine(sqText, vgA)).getFloat();
      assertClose(local, g.path("localLoss").asDouble(), "local loss (RWALoss)");
      assertClose(global, g.path("globalLoss").asDouble(), "global loss (NormSoftmaxLoss)");
      VideoEmbeddings v = new VideoEmbeddings(vgA, rv, rm);
      TextEmbeddings t = new TextEmbeddings(sqText, sqWords, sqMask);
      assertClose(TrainLoop.objective(new LossConfig(true, 0.05f, true, true, false), v, t).getFloat(),
          g.path("totalLoss").asDouble(), "objective, global + local (GlobalLocalLoss)");
      assertClose(TrainLoop.objective(new LossConfig(true, 0.05f, false, true, false), v, t).getFloat(),
          g.path("totalLossGlobalOnly").asDouble(), "objective, use_local off");
      assertClose(TrainLoop.objective(new LossConfig(false, 0.05f, true, true, false), v, t).getFloat(),
          g.path("totalLossLocalOnly").asDouble(), "objective, use_global off");
    }
  }
}
