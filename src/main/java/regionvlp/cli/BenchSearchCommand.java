package regionvlp.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.data.InvalidInputFileException;
import regionvlp.run.SearchBench;
import regionvlp.run.VideoSearch;
import regionvlp.serve.LoadTest;
import regionvlp.serve.SearchServer;

/**
 * {@code regionvlp bench search}: load on the HTTP API from N concurrent clients (errors, p50, p99), or
 * with {@code --recall N} the HNSW recall@k against exact search and the latency of both, in-process.
 */
@Command(name = "search", mixinStandardHelpOptions = true,
    description = "Search under load: N concurrent HTTP clients against a server (started here on a free "
        + "loopback port unless --url is given); or --recall: HNSW recall@k vs exact and per-query latency.",
    footer = {"", "Examples:",
        "  regionvlp bench search --index my-index --clients 32 --queries 1000 --captions data/synthvid/test.tsv",
        "  regionvlp bench search --index synth-100k --recall 1000 --json"})
final class BenchSearchCommand implements Callable<Integer> {
  @Option(names = "--index", required = true, description = "Index folder.")
  Path index;

  @Option(names = "--checkpoint", description = "Checkpoint to encode queries with (default: the index's).")
  Path checkpoint;

  @Option(names = "--clients", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
  int clients = 32;

  @Option(names = "--queries", description = "Requests per client (default: ${DEFAULT-VALUE}).")
  int queries = 1000;

  @Option(names = "--k", description = "Hits per query (default: ${DEFAULT-VALUE}).")
  int k = 10;

  @Option(names = "--rerank-top", description = "Re-ranking depth of each request (default: 0).")
  int rerankTop;

  @Option(names = "--explain", description = "Ask for explanations in each request.")
  boolean explain;

  @Option(names = "--candidates", description = "HNSW beam (default: ${DEFAULT-VALUE}).")
  int candidates = 100;

  @Option(names = "--url", description = "A running server to load instead of starting one, e.g. "
      + "http://127.0.0.1:8080/ (loopback addresses only).")
  URI url;

  @Option(names = "--threads", description = "Handler threads of the server started here (default: ${DEFAULT-VALUE}).")
  int threads = 8;

  @Option(names = "--captions", description = "Query texts: a caption TSV (first column) or one text per line "
      + "(default: a built-in list of 16 SynthVid-style captions).")
  Path captions;

  @Option(names = "--recall", description = "Measure HNSW recall@k vs exact on this many queries instead of "
      + "HTTP load (in-process, one query at a time).")
  int recall;

  @Option(names = "--query-vectors", description = "With --recall: text (the encoded query texts) or gallery "
      + "(gallery vectors moved by noise, i.e. queries from the gallery's own distribution; texts are still "
      + "encoded for the latency) (default: ${DEFAULT-VALUE}).")
  String queryVectors = "text";

  @Option(names = "--seed", description = "Seed of --query-vectors gallery (default: ${DEFAULT-VALUE}).")
  long seed = 7;

  @Option(names = "--warmup", description = "Uncounted queries before --recall measures (default: ${DEFAULT-VALUE}).")
  int warmup = 20;

  @Option(names = "--json", description = "Print one JSON object on the last line.")
  boolean json;

  static final List<String> DEFAULT_QUERIES = List.of(
      "a red dog runs to the left", "a small blue car moves up", "a big green ball grows bigger",
      "two cats stay still", "a yellow bike goes right while a person stays still", "a white horse moves down",
      "a black bird flies to the left", "a large orange truck moves right", "a tiny purple cup shrinks",
      "a person and a dog go left", "a brown bear moves up and a red ball stays still", "a grey boat goes right",
      "a pink teddy bear grows bigger", "a green car and a blue bike move down", "a small white cat runs right",
      "an orange ball bounces to the left");

  @Override
  public Integer call() throws Exception {
    if (clients < 1 || queries < 1 || k < 1 || recall < 0 || warmup < 0) {
      throw new IllegalArgumentException("--clients, --queries and --k must be >= 1, --recall and --warmup >= 0");
    }
    List<String> texts = captions == null ? DEFAULT_QUERIES : readTexts(captions);
    SearchCommand.onePyTorchThread();
    Console console = new Console(System.err);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("index", index.toString());
    try (NDManager root = NDManager.newBaseManager()) {
      if (recall > 0) {
        try (VideoSearch vs = VideoSearch.open(index, checkpoint, root)) {
          SearchBench.QueryVectors qv = switch (queryVectors) {
            case "text" -> SearchBench.QueryVectors.TEXT;
            case "gallery" -> SearchBench.QueryVectors.GALLERY;
            default -> throw new IllegalArgumentException("--query-vectors must be text or gallery, found '"
                + queryVectors + "'");
          };
          SearchBench.Report r = SearchBench.recall(vs, texts, recall, warmup, k, candidates, qv, seed,
              done -> console.progress("queries", done, recall));
          System.out.printf(Locale.ROOT, "HNSW vs exact on %d videos, %d queries (%s vectors), k=%d, beam %d:%n"
              + "  recall@%d %.4f (worst query %.2f)%n"
              + "  HNSW  p50 %.2f ms, p99 %.2f ms per query including text encoding (encode p50 %.2f, graph "
              + "search p50 %.2f)%n"
              + "  exact p50 %.2f ms, p99 %.2f ms per query including text encoding (scan p50 %.2f)%n"
              + "  calling thread's CPU time: encode p50 %.2f ms, encode + graph search p50 %.2f ms%n",
              r.videos(), r.queries(), r.queryVectors(), r.k(), r.candidates(), r.k(), r.recall(), r.minRecall(), r.hnswTotalP50(),
              r.hnswTotalP99(), r.encodeP50(), r.hnswSearchP50(), r.exactTotalP50(), r.exactTotalP99(),
              r.exactSearchP50(), r.encodeCpuP50(), r.hnswTotalCpuP50());
          out.put("recall", r.toJson());
        }
      } else {
        String params = String.format(Locale.ROOT, "&k=%d&rerank=%d&explain=%d&candidates=%d", k, rerankTop,
            explain ? 1 : 0, candidates);
        LoadTest.Report r;
        if (url != null) {
          if (url.getHost() == null || !java.net.InetAddress.getByName(url.getHost()).isLoopbackAddress()) {
            throw new IllegalArgumentException("--url must name a loopback address (127.0.0.1, localhost, [::1]), "
                + "found " + url);
          }
          r = load(url, texts, params, console);
        } else {
          try (VideoSearch vs = VideoSearch.open(index, checkpoint, root);
              SearchServer server = SearchServer.start(vs, null, id -> vs.index().ordinal(id) >= 0, "127.0.0.1", 0,
                  SearchServer.Limits.defaults(), threads, System.err)) {
            console.log("bench: server at " + server.uri() + ", " + clients + " clients x " + queries + " requests");
            r = load(server.uri(), texts, params, console);
          }
        }
        System.out.printf(Locale.ROOT, "%d clients x %d requests: %d errors%s, %.1f requests/s; latency p50 %.1f ms, "
            + "p90 %.1f ms, p99 %.1f ms, max %.1f ms%n", clients, queries, r.errors(),
            r.errorKinds().isEmpty() ? "" : " " + r.errorKinds(), r.throughput(), r.p50Millis(), r.p90Millis(),
            r.p99Millis(), r.maxMillis());
        out.put("load", r.toJson());
      }
    }
    if (json) {
      System.out.println(IndexCommand.json(out));
    }
    return 0;
  }

  private LoadTest.Report load(URI base, List<String> texts, String params, Console console)
      throws InterruptedException {
    int total = clients * queries;
    return LoadTest.run(base, texts, clients, queries, params, Duration.ofSeconds(60),
        done -> console.progress("requests", done, total));
  }

  static List<String> readTexts(Path file) {
    List<String> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file)) {
        String t = line.contains("\t") ? line.substring(0, line.indexOf('\t')) : line;
        if (!t.isBlank()) {
          out.add(t.strip());
        }
      }
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new InvalidInputFileException(file, "expected query texts, found none");
    }
    return out;
  }
}
