package regionvlp.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import regionvlp.index.Searcher;

/**
 * The search server. Routes (GET or HEAD only):
 *
 * <ul>
 *   <li>{@code /}, {@code /app.js}, {@code /style.css}: the page, from class-path resources;
 *   <li>{@code /api/search?q=TEXT&k=10&rerank=0&explain=1&method=auto}: ranked hits as JSON;
 *   <li>{@code /api/info}: what the index holds;
 *   <li>{@code /frames/<video id>/<k>}: a frame image from the frames folder, when one is configured.
 * </ul>
 *
 * Every refusal is a 4xx with {@code {"error": "...", "status": N}}: unknown or repeated parameters, a
 * query longer than {@link Limits#maxQueryChars}, k or rerank out of range, a URI longer than {@link
 * Limits#maxUriChars}, any request body, a Host header that is not this loopback server's (a guard
 * against DNS rebinding when bound to 127.0.0.1), paths that leave the frames folder.
 */
public final class SearchServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> SEARCH_PARAMS = Set.of("q", "k", "rerank", "explain", "method", "candidates");
  private static final Map<String, String[]> STATIC = Map.of(
      "/", new String[] {"index.html", "text/html; charset=utf-8"},
      "/index.html", new String[] {"index.html", "text/html; charset=utf-8"},
      "/app.js", new String[] {"app.js", "text/javascript; charset=utf-8"},
      "/style.css", new String[] {"style.css", "text/css; charset=utf-8"});

  /**
   * Input bounds.
   *
   * @param maxQueryChars longest query text
   * @param maxK largest k
   * @param maxRerankTop largest re-ranking depth
   * @param maxUriChars longest request URI
   * @param maxCandidates largest HNSW beam
   */
  public record Limits(int maxQueryChars, int maxK, int maxRerankTop, int maxUriChars, int maxCandidates) {
    /** 256 characters, k <= 100, rerank <= 200, URI <= 2048 characters, beam <= 1000. */
    public static Limits defaults() {
      return new Limits(256, 100, 200, 2048, 1000);
    }
  }

  private final HttpServer server;
  private final ExecutorService pool;
  private final Searcher searcher;
  private final Limits limits;
  private final FrameFiles frames; // null without --frames
  private final Map<String, Object> info;
  private final PrintStream log;
  private final boolean loopback;

  private SearchServer(HttpServer server, ExecutorService pool, Searcher searcher, Limits limits, FrameFiles frames,
      PrintStream log, boolean loopback) {
    this.server = server;
    this.pool = pool;
    this.searcher = searcher;
    this.limits = limits;
    this.frames = frames;
    this.log = log;
    this.loopback = loopback;
    Map<String, Object> i = new LinkedHashMap<>(searcher.describe());
    i.put("framesFolder", frames != null);
    i.put("limits", Map.of("maxQueryChars", limits.maxQueryChars(), "maxK", limits.maxK(), "maxRerankTop",
        limits.maxRerankTop()));
    this.info = Map.copyOf(i);
  }

  /**
   * Starts a server.
   *
   * @param framesDir folder of frame images {@code <video id>/<k>.(jpg|png|...)}, or null
   * @param knownVideo which video ids exist (frame requests for others are refused)
   * @param port 0 for an ephemeral port
   * @param threads request handler threads
   * @param log where request failures are logged (stderr)
   */
  public static SearchServer start(Searcher searcher, Path framesDir, Predicate<String> knownVideo, String host,
      int port, Limits limits, int threads, PrintStream log) throws IOException {
    FrameFiles frames = framesDir == null ? null : new FrameFiles(framesDir, knownVideo);
    InetAddress addr = InetAddress.getByName(host);
    HttpServer server = HttpServer.create(new InetSocketAddress(addr, port), 128);
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "search-http");
      t.setDaemon(true);
      return t;
    });
    SearchServer s = new SearchServer(server, pool, searcher, limits, frames, log, addr.isLoopbackAddress());
    server.createContext("/", s::handle);
    server.setExecutor(pool);
    server.start();
    return s;
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The page's address. */
  public URI uri() {
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().getHostAddress();
    return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      try {
        route(ex);
      } catch (HttpError e) {
        sendError(ex, e.status(), e.getMessage());
      } catch (IllegalArgumentException e) {
        sendError(ex, 400, e.getMessage());
      } catch (RuntimeException e) {
        log.println("search server: " + ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath() + " failed: "
            + e);
        sendError(ex, 500, "internal error; see the server log");
      }
    } catch (IOException e) {
      // the client went away mid-response; nothing to tell it
    }
  }

  private void route(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
    if (!method.equals("GET") && !method.equals("HEAD")) {
      ex.getResponseHeaders().set("Allow", "GET, HEAD");
      throw new HttpError(405, "method " + HttpError.clip(method) + " is not allowed; use GET");
    }
    String rawUri = ex.getRequestURI().toString();
    if (rawUri.length() > limits.maxUriChars()) {
      throw new HttpError(414, "the request URI has " + rawUri.length() + " characters, at most "
          + limits.maxUriChars() + " are accepted");
    }
    checkNoBody(ex);
    checkHost(ex);
    String path = ex.getRequestURI().getRawPath();
    if (path == null) {
      throw new HttpError(400, "no path");
    }
    String[] page = STATIC.get(path);
    if (page != null) {
      requireNoQuery(ex);
      sendResource(ex, page[0], page[1]);
    } else if (path.equals("/api/search")) {
      search(ex);
    } else if (path.equals("/api/info")) {
      requireNoQuery(ex);
      sendJson(ex, 200, info);
    } else if (path.startsWith("/frames/")) {
      if (frames == null) {
        throw new HttpError(404, "no frames folder is configured (serve --frames DIR)");
      }
      requireNoQuery(ex);
      FrameFiles.Resolved f = frames.resolve(path.substring("/frames/".length()));
      byte[] bytes = Files.readAllBytes(f.file());
      send(ex, 200, f.contentType(), bytes, "private, max-age=3600");
    } else {
      throw new HttpError(404, "no such resource: " + HttpError.clip(path));
    }
  }

  private void search(HttpExchange ex) throws IOException {
    Map<String, String> p = params(ex.getRequestURI().getRawQuery());
    for (String name : p.keySet()) {
      if (!SEARCH_PARAMS.contains(name)) {
        throw new HttpError(400, "unknown parameter '" + HttpError.clip(name) + "'; expected " + SEARCH_PARAMS);
      }
    }
    String q = p.get("q");
    if (q == null || q.isBlank()) {
      throw new HttpError(400, "parameter q (the query text) is required");
    }
    if (q.length() > limits.maxQueryChars()) {
      throw new HttpError(400, "q has " + q.length() + " characters, at most " + limits.maxQueryChars()
          + " are accepted");
    }
    int k = intParam(p, "k", 10, 1, limits.maxK());
    int rerank = intParam(p, "rerank", 0, 0, limits.maxRerankTop());
    int candidates = intParam(p, "candidates", 100, 1, limits.maxCandidates());
    boolean explain = switch (p.getOrDefault("explain", "0")) {
      case "1", "true" -> true;
      case "0", "false" -> false;
      default -> throw new HttpError(400, "explain must be 0 or 1, found '" + HttpError.clip(p.get("explain")) + "'");
    };
    Searcher.Method method = switch (p.getOrDefault("method", "auto")) {
      case "auto" -> Searcher.Method.AUTO;
      case "exact" -> Searcher.Method.EXACT;
      case "hnsw" -> Searcher.Method.HNSW;
      default -> throw new HttpError(400, "method must be auto, exact or hnsw, found '"
          + HttpError.clip(p.get("method")) + "'");
    };
    Searcher.Result r = searcher.search(new Searcher.Request(q, k, rerank, explain, method, candidates));
    sendJson(ex, 200, r);
  }

  private static int intParam(Map<String, String> p, String name, int dflt, int min, int max) {
    String v = p.get(name);
    if (v == null) {
      return dflt;
    }
    int x;
    try {
      x = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new HttpError(400, name + " must be an integer in [" + min + ", " + max + "], found '"
          + HttpError.clip(v) + "'");
    }
    if (x < min || x > max) {
      throw new HttpError(400, name + " must be in [" + min + ", " + max + "], found " + x);
    }
    return x;
  }

  /** Decodes a raw query string; a parameter given twice is an error, not a silent choice. */
  static Map<String, String> params(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name;
      String value;
      try {
        name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new HttpError(400, "malformed percent escape in the query string");
      }
      if (out.put(name, value) != null) {
        throw new HttpError(400, "parameter '" + HttpError.clip(name) + "' is given more than once");
      }
    }
    return out;
  }

  private static void requireNoQuery(HttpExchange ex) {
    if (ex.getRequestURI().getRawQuery() != null) {
      throw new HttpError(400, "this resource takes no parameters");
    }
  }

  private static void checkNoBody(HttpExchange ex) throws IOException {
    String len = ex.getRequestHeaders().getFirst("Content-Length");
    if (ex.getRequestHeaders().containsKey("Transfer-Encoding")) {
      throw new HttpError(413, "request bodies are not accepted");
    }
    if (len != null) {
      long n;
      try {
        n = Long.parseLong(len.trim());
      } catch (NumberFormatException e) {
        throw new HttpError(400, "malformed Content-Length");
      }
      if (n > 0) {
        throw new HttpError(413, "request bodies are not accepted (Content-Length " + n + ")");
      }
    }
    try (InputStream in = ex.getRequestBody()) {
      if (in.read() >= 0) {
        throw new HttpError(413, "request bodies are not accepted");
      }
    }
  }

  private void checkHost(HttpExchange ex) {
    if (!loopback) {
      return;
    }
    String host = ex.getRequestHeaders().getFirst("Host");
    if (host == null) {
      return; // HTTP/1.0 clients may omit it; they are not browsers being rebound
    }
    String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
        : host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
    name = name.toLowerCase(Locale.ROOT);
    if (!name.equals("localhost") && !name.equals("[::1]") && !name.startsWith("127.")) {
      throw new HttpError(421, "this server answers only to localhost addresses, not '" + HttpError.clip(host) + "'");
    }
  }

  private void sendResource(HttpExchange ex, String name, String type) throws IOException {
    try (InputStream in = SearchServer.class.getResourceAsStream("/regionvlp/web/" + name)) {
      if (in == null) {
        throw new IllegalStateException("class-path resource regionvlp/web/" + name + " is missing");
      }
      ex.getResponseHeaders().set("Content-Security-Policy",
          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'");
      send(ex, 200, type, in.readAllBytes(), "no-cache");
    }
  }

  private static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise the response", e);
    }
    send(ex, status, "application/json; charset=utf-8", bytes, "no-store");
  }

  private static void sendError(HttpExchange ex, int status, String message) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", message);
    body.put("status", status);
    sendJson(ex, status, body);
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body, String cache) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", cache);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Stops accepting requests, lets running ones finish for up to a second, and stops the threads. */
  @Override
  public void close() {
    server.stop(1);
    pool.shutdown();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
