package regionvlp.serve;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * N concurrent clients, each sending its share of search requests one after another over its own HTTP/1.1
 * connection, with latencies measured per request. Bounded: a fixed number of requests, each with a
 * timeout; no retries.
 */
public final class LoadTest {
  private LoadTest() {}

  /**
   * What a run measured.
   *
   * @param requests requests sent
   * @param errors non-200 answers, timeouts and connection failures
   * @param errorKinds counts per status code or exception class
   * @param wallSeconds from the first request to the last answer
   * @param p50Millis median latency
   * @param p90Millis 90th percentile
   * @param p99Millis 99th percentile
   * @param maxMillis slowest request
   */
  public record Report(int clients, int requests, int errors, Map<String, Integer> errorKinds, double wallSeconds,
      double p50Millis, double p90Millis, double p99Millis, double maxMillis) {
    /** Requests per second. */
    public double throughput() {
      return requests / wallSeconds;
    }

    /** JSON-ready fields. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("clients", clients);
      m.put("requests", requests);
      m.put("errors", errors);
      m.put("errorKinds", errorKinds);
      m.put("wallSeconds", round(wallSeconds));
      m.put("requestsPerSecond", round(throughput()));
      m.put("p50Millis", round(p50Millis));
      m.put("p90Millis", round(p90Millis));
      m.put("p99Millis", round(p99Millis));
      m.put("maxMillis", round(maxMillis));
      return m;
    }
  }

  /**
   * Runs the load.
   *
   * @param base the server, e.g. {@code http://127.0.0.1:8080/}
   * @param queries query texts, used round-robin
   * @param perClient requests each client sends
   * @param extraParams appended to each search URL (e.g. {@code &k=10})
   * @param progress told the number of finished requests now and then (may be null)
   */
  public static Report run(URI base, List<String> queries, int clients, int perClient, String extraParams,
      Duration timeout, IntConsumer progress) throws InterruptedException {
    if (clients < 1 || perClient < 1 || queries.isEmpty()) {
      throw new IllegalArgumentException("need >= 1 client, >= 1 query per client and a query text");
    }
    int total = clients * perClient;
    long[] latencies = new long[total];
    Map<String, Integer> kinds = new ConcurrentHashMap<>();
    AtomicInteger errors = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      Thread t = new Thread(() -> {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        for (int i = 0; i < perClient; i++) {
          int n = client * perClient + i;
          String q = queries.get(n % queries.size());
          URI uri = base.resolve("/api/search?q=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + extraParams);
          HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
          long t0 = System.nanoTime();
          String kind = null;
          try {
            HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
            if (resp.statusCode() != 200) {
              kind = "HTTP " + resp.statusCode();
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kind = "interrupted";
          } catch (Exception e) {
            kind = e.getClass().getSimpleName();
          }
          latencies[n] = System.nanoTime() - t0;
          if (kind != null) {
            errors.incrementAndGet();
            kinds.merge(kind, 1, Integer::sum);
          }
          int d = done.incrementAndGet();
          if (progress != null && (d % 500 == 0 || d == total)) {
            progress.accept(d);
          }
          if (Thread.currentThread().isInterrupted()) {
            return;
          }
        }
      }, "load-client-" + c);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    long wall0 = System.nanoTime();
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    double wall = (System.nanoTime() - wall0) / 1e9;
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    return new Report(clients, total, errors.get(), Map.copyOf(kinds), wall, percentile(sorted, 50),
        percentile(sorted, 90), percentile(sorted, 99), sorted[sorted.length - 1] / 1e6);
  }

  /** Nearest-rank percentile of sorted nanoseconds, in milliseconds. */
  static double percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)] / 1e6;
  }

  private static double round(double v) {
    return Math.round(v * 100.0) / 100.0;
  }
}
