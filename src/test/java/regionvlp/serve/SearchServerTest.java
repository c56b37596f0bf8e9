package regionvlp.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.index.Searcher;

/**
 * The HTTP layer against a real server on an ephemeral loopback port, spoken to over plain sockets so
 * that every byte of the request line is ours (no client normalises the path). The searcher behind it is
 * a recording stand-in: these tests are about what reaches it and what the server refuses; the real
 * searcher is exercised by SearchCommandsTest and the browser test.
 */
class SearchServerTest {
  @TempDir static Path dir;
  static Path frames;
  static SearchServer server;
  static final AtomicReference<Searcher.Request> LAST = new AtomicReference<>();
  static final ObjectMapper JSON = new ObjectMapper();
  static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 1, 2, 3};
  static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

  /** Answers with k hits named after the query; "boom" fails like a bug, "bad" like a refused request. */
  static final class Recording implements Searcher {
    @Override
    public Result search(Request r) {
      LAST.set(r);
      if (r.query().equals("boom")) {
        throw new IllegalStateException("secret internal detail");
      }
      if (r.query().equals("bad")) {
        throw new IllegalArgumentException("the index cannot do that");
      }
      List<Hit> hits = new ArrayList<>();
      for (int i = 1; i <= r.k(); i++) {
        hits.add(new Hit(i, "vid" + i, 1.0 / i, 1.0 / i, null, null));
      }
      return new Result(r.query(), "exact", "global", List.of("[CLS]", "[SEP]"), hits,
          new Timings(0, 0, 0, 0, 0));
    }

    @Override
    public Map<String, Object> describe() {
      return Map.of("videos", 3, "embedDim", 8, "hnsw", false, "regions", false);
    }
  }

  @BeforeAll
  static void start() throws IOException {
    frames = dir.resolve("frames");
    Path outside = dir.resolve("outside");
    Files.createDirectories(frames.resolve("vid1"));
    Files.createDirectories(outside);
    Files.write(frames.resolve("vid1").resolve("0.png"), PNG);
    Files.writeString(outside.resolve("secret.png"), "SECRET");
    Files.writeString(outside.resolve("0.png"), "SECRET");
    Files.writeString(dir.resolve("secret"), "SECRET");
    Files.createSymbolicLink(frames.resolve("vid1").resolve("1.png"), outside.resolve("secret.png"));
    Files.createSymbolicLink(frames.resolve("link"), outside);
    server = SearchServer.start(new Recording(), frames, Set.of("vid1", "link", "..")::contains, "127.0.0.1", 0,
        SearchServer.Limits.defaults(), 4, new PrintStream(LOG, true, StandardCharsets.UTF_8));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  record Response(int status, String head, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    JsonNode json() throws IOException {
      assertThat(head).contains("content-type: application/json");
      return JSON.readTree(body);
    }
  }

  /** Sends {@code request} (request line and headers, without the final blank line) plus a body. */
  static Response raw(String request, byte[] body) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      out.write((request + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      byte[] all = readAll(s.getInputStream());
      String text = new String(all, StandardCharsets.ISO_8859_1);
      int split = text.indexOf("\r\n\r\n");
      String head = text.substring(0, split);
      int status = Integer.parseInt(head.substring(9, 12));
      head = head.toLowerCase(java.util.Locale.ROOT); // header names are case-insensitive
      byte[] payload = java.util.Arrays.copyOfRange(all, split + 4, all.length);
      return new Response(status, head, payload);
    }
  }

  static Response get(String target) throws IOException {
    return raw("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port(), new byte[0]);
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    in.transferTo(b);
    return b.toByteArray();
  }

  static void assertError(Response r, int status, String message) throws IOException {
    assertThat(r.status()).as(r.text()).isEqualTo(status);
    JsonNode j = r.json();
    assertThat(j.path("status").asInt()).isEqualTo(status);
    assertThat(j.path("error").asText()).contains(message);
  }

  @Test
  void aSearchReachesTheSearcherWithItsParameters() throws IOException {
    Response r = get("/api/search?q=a+red%20dog&k=3&rerank=7&explain=1&method=exact&candidates=50");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    JsonNode j = r.json();
    assertThat(j.path("query").asText()).isEqualTo("a red dog");
    assertThat(j.path("hits")).hasSize(3);
    assertThat(j.path("hits").get(0).path("videoId").asText()).isEqualTo("vid1");
    assertThat(LAST.get()).isEqualTo(new Searcher.Request("a red dog", 3, 7, true, Searcher.Method.EXACT, 50));
    assertThat(get("/api/search?q=x").status()).isEqualTo(200);
    assertThat(LAST.get()).isEqualTo(new Searcher.Request("x", 10, 0, false, Searcher.Method.AUTO, 100));
  }

  @Test
  void badParametersAre400WithAJsonError() throws IOException {
    assertError(get("/api/search"), 400, "q (the query text) is required");
    assertError(get("/api/search?q=%20%20"), 400, "q (the query text) is required");
    assertError(get("/api/search?q=x&k=0"), 400, "k must be in [1, 100], found 0");
    assertError(get("/api/search?q=x&k=101"), 400, "k must be in [1, 100], found 101");
    assertError(get("/api/search?q=x&k=abc"), 400, "k must be an integer");
    assertError(get("/api/search?q=x&k=99999999999"), 400, "k must be an integer");
    assertError(get("/api/search?q=x&rerank=-1"), 400, "rerank must be in [0, 200]");
    assertError(get("/api/search?q=x&rerank=201"), 400, "rerank must be in [0, 200]");
    assertError(get("/api/search?q=x&explain=yes"), 400, "explain must be 0 or 1");
    assertError(get("/api/search?q=x&method=fast"), 400, "method must be auto, exact or hnsw");
    assertError(get("/api/search?q=x&candidates=1001"), 400, "candidates must be in [1, 1000]");
    assertError(get("/api/search?q=x&limit=3"), 400, "unknown parameter 'limit'");
    assertError(get("/api/search?q=x&q=y"), 400, "'q' is given more than once");
    // Not a valid URI at all: the JDK server refuses the request line itself (a plain-text 400) before any
    // handler runs, so the body is not ours; the status still is a 4xx.
    assertThat(get("/api/search?q=%zz").status()).isEqualTo(400);
    assertError(get("/api/search?q=bad"), 400, "the index cannot do that");
    assertError(get("/api/info?x=1"), 400, "takes no parameters");
  }

  @Test
  void oversizedInputIsRefused() throws IOException {
    assertThat(get("/api/search?q=" + "a".repeat(256)).status()).isEqualTo(200);
    assertError(get("/api/search?q=" + "a".repeat(257)), 400, "q has 257 characters, at most 256");
    assertError(get("/api/search?q=" + "%C3%A9".repeat(257)), 400, "q has 257 characters");
    assertError(get("/api/search?q=x&pad=" + "b".repeat(3000)), 414, "at most 2048");
    byte[] body = "x".repeat(1000).getBytes(StandardCharsets.US_ASCII);
    assertError(raw("GET /api/search?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000", body), 413,
        "request bodies are not accepted");
    Response post = raw("POST /api/search?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000", body);
    assertError(post, 405, "method POST is not allowed");
    assertThat(post.head()).contains("allow: get, head");
  }

  @Test
  void pathsOutsideTheFramesFolderAreNeverServed() throws IOException {
    Response ok = get("/frames/vid1/0");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.head()).contains("content-type: image/png");
    assertThat(ok.body()).isEqualTo(PNG);
    String[] attacks = {
      "/frames/../secret", "/frames/../../secret", "/frames/vid1/../../secret", "/frames/%2e%2e/secret",
      "/frames/%2E%2E/%2E%2E/secret", "/frames/..%2fsecret/0", "/frames/vid1%2f..%2f..%2fsecret/0",
      "/frames/vid1/..%2f..%2fsecret", "/frames/..%5c..%5csecret/0", "/frames/vid1/0%00.png",
      "/frames/%2e%2e/0", "/frames/vid1/0/../../../secret", "/frames/vid1/1", "/frames/link/0",
      "/frames//etc/passwd", "/frames/vid1/secret.png", "/%2e%2e/secret", "/../secret", "/frames/vid9/0",
      "/frames/vid1/-1", "/frames/vid1/0.png", "/frames/vid1/0?download=1", "/frames/%252e%252e/0"
    };
    for (String a : attacks) {
      Response r = get(a);
      assertThat(r.status()).as(a + " -> " + r.text()).isBetween(400, 499);
      assertThat(r.text()).as(a).doesNotContain("SECRET");
      assertThat(r.json().path("error").asText()).as(a).isNotBlank();
    }
    // Symbolic links that lead out of the folder (a file, and a whole video folder) are refused too.
    assertError(get("/frames/vid1/1"), 404, "no frame 1");
    assertError(get("/frames/link/0"), 404, "no frame 0");
  }

  @Test
  void pagesErrorsAndHostsAreHandled() throws IOException {
    Response page = get("/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.head()).contains("content-type: text/html").contains("content-security-policy");
    assertThat(page.text()).contains("<form id=\"search\"").contains("/app.js");
    assertThat(get("/app.js").text()).contains("/api/search");
    Response head = raw("HEAD / HTTP/1.1\r\nHost: localhost", new byte[0]);
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    JsonNode info = get("/api/info").json();
    assertThat(info.path("videos").asInt()).isEqualTo(3);
    assertThat(info.path("framesFolder").asBoolean()).isTrue();
    assertError(get("/nope"), 404, "no such resource");
    assertError(raw("GET / HTTP/1.1\r\nHost: attacker.example", new byte[0]), 421, "only to localhost");
    Response boom = get("/api/search?q=boom");
    assertError(boom, 500, "internal error");
    assertThat(boom.text()).doesNotContain("secret internal detail");
    assertThat(LOG.toString(StandardCharsets.UTF_8)).contains("secret internal detail");
  }
}
