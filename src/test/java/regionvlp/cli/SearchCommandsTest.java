package regionvlp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.CaptionTable;
import regionvlp.data.Npy;
import regionvlp.data.NpyArray;
import regionvlp.index.Searcher;
import regionvlp.run.Json;
import regionvlp.run.VideoSearch;

/**
 * {@code index build}, {@code search} and the search API end to end on a real trained model and real
 * frame files ({@link SearchFixture}): the index path must find each test caption's video at exactly the
 * rate {@code eval} reports, and the bad-input paths must be refused with clear errors.
 */
class SearchCommandsTest {
  @TempDir Path tmp;

  /** R@1, R@5, R@10 in percent (eval's rounding) of the true video's rank per caption. */
  static double[] rates(List<Integer> ranks) {
    double[] out = new double[3];
    int[] ks = {1, 5, 10};
    for (int i = 0; i < 3; i++) {
      int k = ks[i];
      long hits = ranks.stream().filter(r -> r >= 1 && r <= k).count();
      out[i] = Math.round(100.0 * hits / ranks.size() * 100.0) / 100.0;
    }
    return out;
  }

  /** The 1-based rank of each test caption's video among the index's top 10 (0 when absent). */
  static List<Integer> ranks(VideoSearch vs, Path testTsv, int rerankTop, Searcher.Method method) {
    List<Integer> out = new ArrayList<>();
    for (CaptionTable.Row row : CaptionTable.read(testTsv, false).rows()) {
      Searcher.Result r = vs.search(new Searcher.Request(row.caption(), 10, rerankTop, false, method, 100));
      int rank = 0;
      for (Searcher.Hit h : r.hits()) {
        if (h.videoId().equals(row.videoId())) {
          rank = h.rank();
        }
      }
      out.add(rank);
    }
    return out;
  }

  /** What eval reported: t2v R@1/5/10 and, from its dumped score matrix, each caption's true-video rank. */
  record EvalView(double[] rates, List<Integer> ranks) {}

  EvalView eval(String... extra) throws IOException {
    SearchFixture.Setup s = SearchFixture.get();
    Path dump = Files.createTempFile(tmp, "scores", ".npy");
    String[] base = {"eval", "--checkpoint", s.run().toString(), "--dataset", "synthvid", "--features",
        s.features().toString(), "--meta", s.testTsv().toString(), "--json", "--dump-scores", dump.toString()};
    CliTest.Result e = CliTest.run(CliTest.concat(base, extra));
    assertThat(e.exit()).as(e.err()).isZero();
    String[] lines = e.out().trim().split("\n");
    JsonNode t2v = Json.MAPPER.readTree(lines[lines.length - 1]).path("t2v");
    double[] rates = {t2v.path("R@1").asDouble(), t2v.path("R@5").asDouble(), t2v.path("R@10").asDouble()};
    NpyArray m = (NpyArray) Npy.read(dump);
    int nv = (int) m.shape()[1];
    float[] scores = m.toFloatArray();
    CaptionTable table = CaptionTable.read(s.testTsv(), false);
    List<String> videos = table.distinctVideoIds();
    List<Integer> ranks = new ArrayList<>();
    for (int i = 0; i < table.size(); i++) {
      int truth = videos.indexOf(table.rows().get(i).videoId());
      float own = scores[i * nv + truth];
      int rank = 1;
      for (int j = 0; j < nv; j++) {
        if (scores[i * nv + j] > own) {
          rank++;
        }
      }
      ranks.add(rank <= 10 ? rank : 0); // the index shows the top 10 only
    }
    return new EvalView(rates, ranks);
  }

  @Test
  void theIndexFindsEachCaptionsVideoAtTheRateEvalReports() throws IOException {
    SearchFixture.Setup s = SearchFixture.get();
    EvalView global = eval("--score", "global");
    EvalView reranked = eval("--score", "global+local", "--rerank-top", "10");
    try (NDManager root = NDManager.newBaseManager(); VideoSearch vs = VideoSearch.open(s.index(), null, root)) {
      assertThat(vs.index().count()).isEqualTo(40);
      List<Integer> exact = ranks(vs, s.testTsv(), 0, Searcher.Method.EXACT);
      assertThat(exact).as("rank of each caption's video: exact search vs eval --score global")
          .isEqualTo(global.ranks());
      assertThat(rates(exact)).as("R@1/5/10: exact search vs eval's JSON").containsExactly(global.rates());
      assertThat(ranks(vs, s.testTsv(), 0, Searcher.Method.HNSW)).as("HNSW search vs eval --score global")
          .isEqualTo(global.ranks());
      List<Integer> rr = ranks(vs, s.testTsv(), 10, Searcher.Method.EXACT);
      assertThat(rr).as("search --rerank-top 10 (float16 regions) vs eval --rerank-top 10 (float32)")
          .isEqualTo(reranked.ranks());
      assertThat(rates(rr)).containsExactly(reranked.rates());
    }
  }

  @Test
  void searchPrintsATableAndOneJsonLineWithExplanations() throws IOException {
    SearchFixture.Setup s = SearchFixture.get();
    String caption = CaptionTable.read(s.testTsv(), false).rows().get(0).caption();
    CliTest.Result r = CliTest.run("search", "--index", s.index().toString(), "--k", "5", "--rerank-top", "8",
        "--explain", "--json", caption);
    assertThat(r.exit()).as(r.err()).isZero();
    String[] lines = r.out().trim().split("\n");
    assertThat(lines[1]).contains("rank").contains("video").contains("score");
    JsonNode j = Json.MAPPER.readTree(lines[lines.length - 1]);
    assertThat(j.path("query").asText()).isEqualTo(caption);
    assertThat(j.path("method").asText()).isEqualTo("hnsw");
    assertThat(j.path("scoring").asText()).isEqualTo("global, then G + S^T on the top 8");
    List<String> tokens = new ArrayList<>();
    j.path("tokens").forEach(t -> tokens.add(t.asText()));
    assertThat(tokens.get(0)).isEqualTo("[CLS]");
    assertThat(tokens.get(tokens.size() - 1)).isEqualTo("[SEP]");
    JsonNode hits = j.path("hits");
    assertThat(hits).hasSize(5);
    double prev = Double.POSITIVE_INFINITY;
    for (int i = 0; i < 5; i++) {
      JsonNode h = hits.get(i);
      assertThat(h.path("rank").asInt()).isEqualTo(i + 1);
      double score = h.path("score").asDouble();
      assertThat(score).isLessThanOrEqualTo(prev);
      prev = score;
      assertThat(score).isCloseTo(h.path("global").asDouble() + h.path("local").asDouble(),
          org.assertj.core.data.Offset.offset(1e-5));
      JsonNode x = h.path("explanation");
      assertThat(x.path("frameNumbers")).hasSize(4);
      assertThat(x.path("regions").size()).isBetween(4, 4 * 30);
      for (JsonNode g : x.path("regions")) {
        int token = g.path("token").asInt();
        assertThat(token).isBetween(1, tokens.size() - 1);
        assertThat(g.path("word").asText()).isEqualTo(tokens.get(token));
        assertThat(g.path("weight").asDouble()).isGreaterThan(0).isLessThanOrEqualTo(1.0);
        assertThat(g.path("frame").asInt()).isBetween(0, 3);
        JsonNode box = g.path("box");
        assertThat(box.get(0).asDouble()).isLessThan(box.get(2).asDouble());
        assertThat(box.get(1).asDouble()).isLessThan(box.get(3).asDouble());
      }
    }
  }

  @Test
  void benchSearchDrivesConcurrentClientsAndMeasuresRecall() throws IOException {
    SearchFixture.Setup s = SearchFixture.get();
    CliTest.Result load = CliTest.run("bench", "search", "--index", s.index().toString(), "--clients", "3",
        "--queries", "4", "--captions", s.testTsv().toString(), "--json");
    assertThat(load.exit()).as(load.err()).isZero();
    String[] lines = load.out().trim().split("\n");
    JsonNode l = Json.MAPPER.readTree(lines[lines.length - 1]).path("load");
    assertThat(l.path("requests").asInt()).isEqualTo(12);
    assertThat(l.path("errors").asInt()).isZero();
    assertThat(l.path("p99Millis").asDouble()).isGreaterThanOrEqualTo(l.path("p50Millis").asDouble());

    // A beam of 100 over 40 videos visits them all: the graph must agree with exact search on every query.
    CliTest.Result recall = CliTest.run("bench", "search", "--index", s.index().toString(), "--recall", "6",
        "--warmup", "1", "--captions", s.testTsv().toString(), "--json");
    assertThat(recall.exit()).as(recall.err()).isZero();
    String[] rl = recall.out().trim().split("\n");
    JsonNode r = Json.MAPPER.readTree(rl[rl.length - 1]).path("recall");
    assertThat(r.path("queries").asInt()).isEqualTo(6);
    assertThat(r.path("recall").asDouble()).isEqualTo(1.0);
    assertThat(r.path("minRecall").asDouble()).isEqualTo(1.0);
    assertThat(r.path("queryVectors").asText()).isEqualTo("text");

    CliTest.Result far = CliTest.run("bench", "search", "--index", s.index().toString(), "--url",
        "http://192.0.2.1:8080/", "--clients", "1", "--queries", "1");
    assertThat(far.exit()).isEqualTo(2);
    assertThat(far.err()).contains("--url must name a loopback address");
  }

  @Test
  void aCheckpointWithOtherWeightsIsRefused() throws IOException {
    SearchFixture.Setup s = SearchFixture.get();
    Path ckpt = s.run().resolve("checkpoints").resolve(Files.readString(s.run().resolve("checkpoints/last")).trim());
    Path other = tmp.resolve("other");
    Files.createDirectories(other);
    try (Stream<Path> files = Files.list(ckpt)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, other.resolve(f.getFileName()));
      }
    }
    byte[] w = Files.readAllBytes(other.resolve("model.safetensors"));
    w[w.length - 1] ^= 1; // one bit of the last weight
    Files.write(other.resolve("model.safetensors"), w);
    CliTest.Result r = CliTest.run("search", "--index", s.index().toString(), "--checkpoint", other.toString(),
        "a red ball");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("is not the checkpoint the index").contains("sha256");
  }

  /** A copy of the index's checkpoint folder (same weights) under {@code name}. */
  private Path copyOfCheckpoint(SearchFixture.Setup s, String name) throws IOException {
    Path ckpt = s.run().resolve("checkpoints").resolve(Files.readString(s.run().resolve("checkpoints/last")).trim());
    Path copy = tmp.resolve(name);
    Files.createDirectories(copy);
    try (Stream<Path> files = Files.list(ckpt)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    return copy;
  }

  @Test
  void sameWeightsWithOtherModelSettingsAreRefused() throws IOException {
    SearchFixture.Setup s = SearchFixture.get();
    Path other = copyOfCheckpoint(s, "other-settings");
    com.fasterxml.jackson.databind.node.ObjectNode cfg =
        (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(other.resolve("config.json").toFile());
    int maxLength = cfg.path("model").path("text").path("maxLength").asInt();
    ((com.fasterxml.jackson.databind.node.ObjectNode) cfg.path("model").path("text")).put("maxLength", maxLength - 1);
    Json.MAPPER.writeValue(other.resolve("config.json").toFile(), cfg);
    CliTest.Result r = CliTest.run("search", "--index", s.index().toString(), "--checkpoint", other.toString(),
        "a red ball");
    assertThat(r.exit()).as(r.err()).isEqualTo(1);
    assertThat(r.err()).contains("model settings differ").contains("maxLength=" + (maxLength - 1));
  }

  @Test
  void anIndexRecordedBeforeNewConfigKeysStillOpens() throws IOException {
    // An index built before train.maxSamplesPerEpoch and data.secondary existed recorded a config without
    // them; the checkpoint's config is read with them filled in. Only model settings may differ.
    SearchFixture.Setup s = SearchFixture.get();
    Path old = tmp.resolve("old-index");
    Files.createDirectories(old);
    try (Stream<Path> files = Files.walk(s.index())) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path to = old.resolve(s.index().relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else {
          Files.copy(f, to);
        }
      }
    }
    com.fasterxml.jackson.databind.node.ObjectNode manifest =
        (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(old.resolve("index.json").toFile());
    com.fasterxml.jackson.databind.node.ObjectNode cfg =
        (com.fasterxml.jackson.databind.node.ObjectNode) manifest.path("config");
    assertThat(((com.fasterxml.jackson.databind.node.ObjectNode) cfg.path("train")).remove("maxSamplesPerEpoch"))
        .as("the recorded config has the new key to drop").isNotNull();
    assertThat(((com.fasterxml.jackson.databind.node.ObjectNode) cfg.path("data")).remove("secondary")).isNotNull();
    Json.MAPPER.writeValue(old.resolve("index.json").toFile(), manifest);
    CliTest.Result r = CliTest.run("search", "--index", old.toString(), "--json", "a red ball");
    assertThat(r.exit()).as(r.err()).isZero();
    String[] lines = r.out().trim().split("\n");
    assertThat(Json.MAPPER.readTree(lines[lines.length - 1]).path("hits").size()).isEqualTo(10);
  }

  @Test
  void badRequestsAreUsageErrors() throws IOException {
    SearchFixture.Setup s = SearchFixture.get();
    CliTest.Result exists = CliTest.run("index", "build", "--checkpoint", s.run().toString(), "--features",
        s.features().toString(), "--meta", s.testTsv().toString(), "--out", s.index().toString());
    assertThat(exists.exit()).isEqualTo(2);
    assertThat(exists.err()).contains("already exists");

    Path plain = tmp.resolve("plain");
    CliTest.Result b = CliTest.run("index", "build", "--checkpoint", s.run().toString(), "--features",
        s.features().toString(), "--meta", s.data().toString(), "--out", plain.toString());
    assertThat(b.exit()).as(b.err()).isZero();
    Map<?, ?> manifest = Json.MAPPER.readValue(plain.resolve("index.json").toFile(), Map.class);
    assertThat(manifest.get("regions")).isNull();
    assertThat(manifest.get("hnsw")).isNull();
    CliTest.Result rerank = CliTest.run("search", "--index", plain.toString(), "--rerank-top", "5", "a red ball");
    assertThat(rerank.exit()).isEqualTo(2);
    assertThat(rerank.err()).contains("holds no region embeddings").contains("--regions");
    CliTest.Result hnsw = CliTest.run("search", "--index", plain.toString(), "--method", "hnsw", "a red ball");
    assertThat(hnsw.exit()).isEqualTo(2);
    assertThat(hnsw.err()).contains("has no HNSW graph");
    CliTest.Result k = CliTest.run("search", "--index", plain.toString(), "--k", "0", "a red ball");
    assertThat(k.exit()).isEqualTo(2);
    assertThat(k.err()).contains("k must be >= 1, found 0");
    CliTest.Result notIndex = CliTest.run("search", "--index", s.data().toString(), "a red ball");
    assertThat(notIndex.exit()).isEqualTo(1);
    assertThat(notIndex.err()).contains("not an index");
  }
}
