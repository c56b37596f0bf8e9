package regionvlp.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import regionvlp.index.Searcher;
import regionvlp.run.VideoSearch;

/** {@code regionvlp search}: the best videos of an index for a text query. */
@Command(name = "search", mixinStandardHelpOptions = true,
    description = "Rank the videos of an index for a text query (a table, or JSON with --json).",
    footer = {"", "Examples:",
        "  regionvlp search --index my-index \"a dog runs on the beach\"",
        "  regionvlp search --index my-index --k 5 --rerank-top 50 --explain --json \"a red ball moves left\""})
final class SearchCommand implements Callable<Integer> {
  @Option(names = "--index", required = true, description = "Index folder (regionvlp index build).")
  Path index;

  @Option(names = "--checkpoint", description = "Checkpoint to encode the query with (default: the one the index "
      + "recorded; another one is refused).")
  Path checkpoint;

  @Option(names = "--k", description = "Hits to show (default: ${DEFAULT-VALUE}).")
  int k = 10;

  @Option(names = "--rerank-top", description = "Re-score the global top K with G + S (RWA on the stored region "
      + "embeddings; needs an index built with --regions). 0 = global only.")
  int rerankTop;

  @Option(names = "--explain", description = "Give each hit's regions and the query words they align to.")
  boolean explain;

  @Option(names = "--method", description = "auto (HNSW when built), exact or hnsw (default: ${DEFAULT-VALUE}).")
  String method = "auto";

  @Option(names = "--candidates", description = "HNSW beam: neighbours the graph search keeps (default: ${DEFAULT-VALUE}).")
  int candidates = 100;

  @Option(names = "--json", description = "Print one JSON object on the last line.")
  boolean json;

  @Parameters(arity = "1..*", paramLabel = "QUERY", description = "The text to search for.")
  List<String> words;

  @Override
  public Integer call() throws Exception {
    Searcher.Request req = new Searcher.Request(String.join(" ", words), k, rerankTop, explain, method(method),
        candidates);
    onePyTorchThread();
    try (NDManager root = NDManager.newBaseManager(); VideoSearch vs = VideoSearch.open(index, checkpoint, root)) {
      Searcher.Result r = vs.search(req);
      System.out.print(table(r));
      if (json) {
        System.out.println(IndexCommand.json(r));
      }
    }
    return 0;
  }

  /**
   * Query encoding runs PyTorch on one intra-op thread unless {@code -Dai.djl.pytorch.num_threads} says
   * otherwise. One short caption gains little from a second thread, and on a busy 2-core machine the
   * spinning OpenMP workers made each encoding about 12x slower (docs/PERFORMANCE.md). Takes effect only
   * before the engine starts in this JVM.
   */
  static void onePyTorchThread() {
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", "1");
    }
  }

  static Searcher.Method method(String s) {
    return switch (s) {
      case "auto" -> Searcher.Method.AUTO;
      case "exact" -> Searcher.Method.EXACT;
      case "hnsw" -> Searcher.Method.HNSW;
      default -> throw new IllegalArgumentException("--method must be auto, exact or hnsw, found '" + s + "'");
    };
  }

  static String table(Searcher.Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "query \"%s\": %s search, %s, %.1f ms (encode %.1f, search %.1f, "
        + "re-rank %.1f)%n", r.query(), r.method(), r.scoring(), r.timings().total(), r.timings().encode(),
        r.timings().search(), r.timings().rerank()));
    sb.append(String.format(Locale.ROOT, "%5s  %-28s %9s %9s %9s%n", "rank", "video", "score", "global", "RWA"));
    for (Searcher.Hit h : r.hits()) {
      sb.append(String.format(Locale.ROOT, "%5d  %-28s %9.4f %9.4f %9s%n", h.rank(), h.videoId(), h.score(),
          h.global(), h.local() == null ? "-" : String.format(Locale.ROOT, "%.4f", h.local())));
      if (h.explanation() != null) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Searcher.Region g : h.explanation().regions()) {
          counts.merge(g.word(), 1, Integer::sum);
        }
        StringBuilder w = new StringBuilder();
        counts.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue())
            .forEach(e -> w.append(' ').append(e.getKey()).append('x').append(e.getValue()));
        sb.append("       regions ->").append(w).append(System.lineSeparator());
      }
    }
    return sb.toString();
  }
}
