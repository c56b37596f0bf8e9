package regionvlp.cli;

import ai.djl.ndarray.NDManager;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.run.VideoSearch;
import regionvlp.serve.SearchServer;

/** {@code regionvlp serve}: the search page and JSON API over HTTP. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve a search page and a JSON API (GET /api/search?q=...&k=...) for an index.",
    footer = {"", "Examples:",
        "  regionvlp serve --index my-index                 # then open http://127.0.0.1:8080/",
        "  regionvlp serve --index my-index --port 9000 --frames my-frames   # FRAMES/<video_id>/<k>.jpg"})
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--index", required = true, description = "Index folder (regionvlp index build).")
  Path index;

  @Option(names = "--checkpoint", description = "Checkpoint to encode queries with (default: the index's).")
  Path checkpoint;

  @Option(names = "--host", description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only).")
  String host = "127.0.0.1";

  @Option(names = "--port", description = "Port, 0 for any free one (default: ${DEFAULT-VALUE}).")
  int port = 8080;

  @Option(names = "--frames", description = "Folder of frame images <video_id>/<k>.(jpg|png|webp), k being the "
      + "stored frame number; boxes are drawn on them instead of a neutral canvas.")
  Path frames;

  @Option(names = "--threads", description = "Request handler threads (default: ${DEFAULT-VALUE}).")
  int threads = 8;

  @Option(names = "--max-query-chars", description = "Longest accepted query (default: ${DEFAULT-VALUE}).")
  int maxQueryChars = SearchServer.Limits.defaults().maxQueryChars();

  @Option(names = "--max-k", description = "Largest accepted k (default: ${DEFAULT-VALUE}).")
  int maxK = SearchServer.Limits.defaults().maxK();

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535 || threads < 1 || maxQueryChars < 1 || maxK < 1) {
      throw new IllegalArgumentException("--port must be in [0, 65535] and --threads, --max-query-chars, --max-k "
          + ">= 1");
    }
    Console console = new Console(System.err);
    SearchCommand.onePyTorchThread();
    SearchServer.Limits d = SearchServer.Limits.defaults();
    SearchServer.Limits limits = new SearchServer.Limits(maxQueryChars, maxK, d.maxRerankTop(), d.maxUriChars(),
        d.maxCandidates());
    try (NDManager root = NDManager.newBaseManager(); VideoSearch vs = VideoSearch.open(index, checkpoint, root);
        SearchServer server = SearchServer.start(vs, frames, id -> vs.index().ordinal(id) >= 0, host, port, limits,
            threads, System.err)) {
      if (!InetAddress.getByName(host).isLoopbackAddress()) {
        console.log("warning: bound to " + host + ", reachable from other machines; the server has no "
            + "authentication");
      }
      console.log("serving " + vs.index().count() + " videos at " + server.uri() + " (Ctrl-C to stop)");
      CountDownLatch stop = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
      stop.await();
    }
    return 0;
  }
}
