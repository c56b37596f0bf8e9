package regionvlp.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static regionvlp.train.RwaGoldenTest.assertClose;
import static regionvlp.train.RwaGoldenTest.flat;
import static regionvlp.train.RwaGoldenTest.floats;
import static regionvlp.train.RwaGoldenTest.rows;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import regionvlp.eval.Scores;
import regionvlp.eval.Similarity;
import regionvlp.model.Embedder;

/**
 * Test-time scores against the ORIGINAL composition in trainer/trainer_dist.py _valid_epoch (golden/rwa.json,
 * "eval": 4 videos, 6 captions): {@code sim_matrix(text, video).numpy() + RWALoss.get_sim_by_segment(...)}
 * with shards of 2. Checks our chunked S against get_sim_by_segment, {@code --faithful-orientation} against
 * the original addition on the square case, its refusal where the original's addition fails (non-square),
 * and the consistent M = G + S^T (and the two-stage path with K = all videos) built from the original's G and
 * S. Relative tolerance 1e-5, as in {@link RwaGoldenTest}.
 */
class ScoringGoldenTest {
  @Test
  void scoresMatchTheOriginalEvaluationComposition() throws Exception {
    JsonNode root = RwaGoldenTest.golden();
    JsonNode g = root.path("eval");
    JsonNode sh = root.path("shapes");
    int nv = g.path("videos").asInt();
    int nt = g.path("captions").asInt();
    int r = sh.path("regionSlots").asInt();
    int l = sh.path("wordSlots").asInt();
    int e = sh.path("dim").asInt();
    Embedder.LocalSet videos = new Embedder.LocalSet(nv, r, e, floats(g.path("regions")), floats(g.path("regionMask")));
    Embedder.LocalSet texts = new Embedder.LocalSet(nt, l, e, floats(g.path("words")), floats(g.path("wordMask")));
    Embedder.LocalSet sqTexts = new Embedder.LocalSet(nv, l, e, Arrays.copyOf(texts.values(), nv * l * e),
        Arrays.copyOf(texts.mask(), nv * l));
    float[][] gAll = Similarity.cosine(rows(floats(g.path("textGlobal")), nt), rows(floats(g.path("videoGlobal")), nv));
    float[][] gSq = Arrays.copyOf(gAll, nv);
    RegionWordAlignment rwa = new RegionWordAlignment(true, false);
    try (NDManager m = NDManager.newBaseManager()) {
      float[][] sAll = RwaScores.matrix(videos, texts, rwa, m, 2, 2);
      assertClose(flat(sAll), floats(g.path("simAll")), nt, "S [video, caption], chunks 2 x 2 vs get_sim_by_segment");
      assertClose(flat(RwaScores.matrix(videos, texts, rwa, m, 3, 4)), floats(g.path("simAll")), nt,
          "S, chunks 3 x 4");
      float[][] sSq = RwaScores.matrix(videos, sqTexts, rwa, m, 2, 2);
      assertClose(flat(sSq), floats(g.path("simSquare")), nv, "S, square case");

      assertClose(flat(Scores.faithfulOrientation(gSq, sSq)), floats(g.path("scoresFaithful")), nv,
          "--faithful-orientation M = G + S (square)");
      assertThat(g.path("faithfulNonSquareError").asText()).contains("could not be broadcast");
      assertThatThrownBy(() -> Scores.faithfulOrientation(gAll, sAll)).hasMessageContaining("square");
      float[] consistent = floats(g.path("scoresConsistent"));
      assertClose(flat(Scores.consistent(gAll, sAll)), consistent, nv, "consistent M = G + S^T [caption, video]");
      assertClose(flat(RwaScores.rerank(gAll, videos, texts, rwa, m, nv)), consistent, nv,
          "two-stage scores with K = every video");
    }
  }
}
