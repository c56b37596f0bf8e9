package regionvlp.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import regionvlp.run.Json;

/**
 * Retrieval metrics against the ORIGINAL code's t2v_metrics / v2t_metrics (showlab/DemoVLP model/metric.py
 * at fc5a31d, run by {@code tools/make_metric_fixtures.py}), on matrices with ties at the ground truth, a
 * non-square one with two captions per video among them.
 */
class RetrievalMetricsGoldenTest {
  @Test
  void bothDirectionsMatchTheOriginalMetricCode() throws Exception {
    JsonNode g;
    try (InputStream in = getClass().getResourceAsStream("/golden/metrics.json")) {
      assertThat(in).as("golden/metrics.json (run tools/make_metric_fixtures.py)").isNotNull();
      g = Json.MAPPER.readTree(in);
    }
    assertThat(g.path("cases").size()).isGreaterThanOrEqualTo(3);
    for (JsonNode c : g.path("cases")) {
      int nt = c.path("texts").asInt();
      int nv = c.path("videos").asInt();
      float[][] scores = new float[nt][nv];
      for (int i = 0; i < nt; i++) {
        for (int j = 0; j < nv; j++) {
          scores[i][j] = (float) c.path("scores").get(i * nv + j).asDouble();
        }
      }
      int[] gt = new int[nt];
      for (int i = 0; i < nt; i++) {
        gt[i] = i / (nt / nv); // the original's caption -> video convention
      }
      RetrievalMetrics.Result r = RetrievalMetrics.compute(scores, gt);
      String name = c.path("name").asText();
      check(name + " t2v", r.t2v(), c.path("t2v"));
      check(name + " v2t", r.v2t(), c.path("v2t"));
    }
  }

  private static void check(String what, RetrievalMetrics.DirectionMetrics m, JsonNode want) {
    assertThat(m.r1()).as(what + " R@1").isCloseTo(want.path("R1").asDouble(), within(1e-9));
    assertThat(m.r5()).as(what + " R@5").isCloseTo(want.path("R5").asDouble(), within(1e-9));
    assertThat(m.r10()).as(what + " R@10").isCloseTo(want.path("R10").asDouble(), within(1e-9));
    assertThat(m.r50()).as(what + " R@50").isCloseTo(want.path("R50").asDouble(), within(1e-9));
    assertThat(m.medR()).as(what + " MedR").isCloseTo(want.path("MedR").asDouble(), within(1e-9));
    assertThat(m.meanR()).as(what + " MeanR").isCloseTo(want.path("MeanR").asDouble(), within(1e-9));
  }
}
