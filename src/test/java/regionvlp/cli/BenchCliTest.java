package regionvlp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import regionvlp.run.Json;

/**
 * {@code bench train} and {@code bench eval} end to end on tiny shapes: the JSON line and the relations
 * between its fields (no timing is asserted).
 */
class BenchCliTest {
  static JsonNode lastLine(CliTest.Result r) throws Exception {
    String[] lines = r.out().strip().split("\n");
    return Json.MAPPER.readTree(lines[lines.length - 1]);
  }

  @Test
  void trainReportsConsistentFiguresAndAFlatResourceCount() throws Exception {
    CliTest.Result r = CliTest.run("bench", "train", "--preset", "demovlp-pretrain", "--batch", "3", "--steps", "3",
        "--warmup", "1", "--gemm-sizes", "64", "--set", "model.video.featureDim=8", "--set", "model.video.width=16",
        "--set", "model.video.depth=1", "--set", "model.video.numHeads=2", "--set", "model.video.mlpDim=32",
        "--set", "model.text.width=16", "--set", "model.text.depth=1", "--set", "model.text.numHeads=2",
        "--set", "model.text.ffnDim=32", "--set", "model.text.vocabSize=300", "--set", "model.text.maxLength=9",
        "--set", "model.embedDim=8", "--set", "data.numRegions=4", "--set", "model.video.numRegions=4", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode j = lastLine(r);
    assertThat(j.path("bench").asText()).isEqualTo("train");
    assertThat(j.path("batch").asInt()).isEqualTo(3);
    assertThat(j.path("loss").asText()).isEqualTo("global+rwa");
    JsonNode f = j.path("gflopPerSample");
    assertThat(f.path("train").asDouble()).isCloseTo(3 * f.path("forward").asDouble(), within(2e-3));
    double sps = j.path("samplesPerSecond").asDouble();
    assertThat(sps).isCloseTo(3 / (j.path("msPerStep").asDouble() / 1000), within(0.01 * sps + 1e-3));
    double achieved = j.path("achievedGflops").asDouble();
    double peak = j.path("gemmPeakGflops").path("used").asDouble();
    assertThat(peak).as("GEMM peak").isPositive();
    assertThat(j.path("mfu").asDouble()).isCloseTo(achieved / peak, within(0.01 + 0.001 / peak));
    JsonNode flat = j.path("flatness");
    assertThat(flat.path("arraysMax").asInt()).as("live native arrays after each step").isEqualTo(
        flat.path("arraysMin").asInt());
    assertThat(flat.path("rssMbByTenth")).as("RSS after each tenth of the steps").hasSize(10);
    assertThat(flat.path("rssMbByTenth").get(9).asLong()).as("the last tenth is the last step")
        .isEqualTo(flat.path("rssMbLast").asLong());
    assertThat(flat.path("jvmHeapCommittedMbByTenth")).hasSize(10);
    assertThat(j.path("lossLast").asDouble()).isFinite();
  }

  @Test
  void evalRerankAgreesWithTheFullMatrixOnTheRescoredPairs() throws Exception {
    CliTest.Result r = CliTest.run("bench", "eval", "--videos", "5", "--texts", "4", "--frames", "2", "--regions", "3",
        "--words", "4", "--dim", "8", "--rerank-top", "2", "--gemm-sizes", "64", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode j = lastLine(r);
    assertThat(j.path("regionSlots").asInt()).isEqualTo(6);
    // 20 pairs x 2 R L (E + R + L) FLOPs = 20 x 2 x 6 x 4 x (8 + 6 + 4)
    assertThat(j.path("matmulGflop").asDouble()).isCloseTo(20 * 2 * 6 * 4 * 18 / 1e9, within(1e-6));
    // the original's explicit attended vectors: 8 R L E per pair
    assertThat(j.path("originalAlgorithmGflop").asDouble()).isCloseTo(20 * 8 * 6 * 4 * 8 / 1e9, within(1e-6));
    assertThat(j.path("rerankMaxAbsDiff").asDouble()).isLessThan(1e-5);
    assertThat(j.path("rerankTop").asInt()).isEqualTo(2);
  }

  @Test
  void benchWithoutAVerbIsAUsageError() {
    CliTest.Result r = CliTest.run("bench");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("a bench verb is required");
  }
}
