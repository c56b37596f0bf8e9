package regionvlp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import regionvlp.data.CaptionTable;
import regionvlp.index.VideoIndex;
import regionvlp.run.Json;
import regionvlp.run.VideoSearch;
import regionvlp.serve.SearchServer;

/**
 * The search page in a real headless Chromium (Debian's {@code chromium} driven through {@code
 * chromedriver} by Selenium), against a real server, model and index ({@link SearchFixture}) with a frames
 * folder: it types a query, waits for the results, checks that the page shows what the API returns, with
 * every hit's frames drawn from their images and region boxes labelled with query words, and saves a
 * screenshot ({@code <build dir>/search-page.png}, or the path in {@code -Dregionvlp.screenshot}).
 *
 * <p>Needs {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver}; {@code .ci/install-browser}
 * installs them. Without them the test fails and says so.
 */
class SearchPageBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  @TempDir Path tmp;

  @Test
  void typingAQueryShowsTheRankedVideosWithTheirRegionsAndWords() throws Exception {
    assertThat(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER))
        .as("the browser test needs " + CHROMIUM + " and " + CHROMEDRIVER + "; run .ci/install-browser "
            + "(apt-get install -y chromium chromium-driver)")
        .isTrue();
    SearchFixture.Setup s = SearchFixture.get();
    Path frames = tmp.resolve("frames");
    writeFrameImages(s.index(), frames);
    CaptionTable.Row row = CaptionTable.read(s.testTsv(), false).rows().get(3);

    try (NDManager root = NDManager.newBaseManager(); VideoSearch vs = VideoSearch.open(s.index(), null, root);
        SearchServer server = SearchServer.start(vs, frames, id -> vs.index().ordinal(id) >= 0, "127.0.0.1", 0,
            SearchServer.Limits.defaults(), 4, System.err)) {
      List<String> expected = apiRanking(server.uri(), row.caption());
      ChromeDriverService service = new ChromeDriverService.Builder()
          .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().withTimeout(Duration.ofSeconds(120))
          .build();
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM.toFile());
      options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
          "--window-size=1280,1500", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
          "--disable-background-networking", "--disable-sync", "--disable-component-update");
      ChromeDriver driver = new ChromeDriver(service, options);
      try {
        Waiter wait = new Waiter(driver);
        driver.get(server.uri().toString());
        wait.until(d -> d.findElement(By.id("about")).getText().contains("40 videos"));
        WebElement q = driver.findElement(By.id("q"));
        q.sendKeys(row.caption());
        WebElement rerank = driver.findElement(By.id("rerank"));
        rerank.clear();
        rerank.sendKeys("10");
        driver.findElement(By.id("go")).click();
        wait.until(d -> "1".equals(d.findElement(By.id("status")).getAttribute("data-done")));

        List<WebElement> hits = driver.findElements(By.cssSelector("li.hit"));
        List<String> shown = new ArrayList<>();
        for (WebElement h : hits) {
          shown.add(h.getAttribute("data-video"));
        }
        assertThat(shown).as("the page shows the API's ranking").isEqualTo(expected).hasSize(10);
        assertThat(driver.findElement(By.id("status")).getText()).contains("10 videos for")
            .contains(row.caption()).contains("top 10");
        for (WebElement h : hits) {
          assertThat(h.findElement(By.cssSelector(".vid")).getText()).isEqualTo(h.getAttribute("data-video"));
          assertThat(h.findElements(By.cssSelector("canvas.frame"))).hasSize(4);
          assertThat(h.findElements(By.cssSelector(".word"))).isNotEmpty();
        }
        // Every frame image loaded and was drawn under the boxes.
        wait.until(d -> ((Long) ((JavascriptExecutor) d).executeScript(
            "return document.querySelectorAll('canvas.frame[data-image=loaded]').length")) == 40L);
        // The first hit's chips name words of the query.
        String words = hits.get(0).findElement(By.cssSelector(".words")).getText();
        assertThat(words).isNotBlank();
        for (String chip : words.split("\\s+")) {
          String w = chip.replaceAll("×\\d+$", "");
          if (!w.isEmpty()) {
            assertThat(row.caption().toLowerCase()).as("chip '" + chip + "'").contains(w);
          }
        }
        byte[] png = driver.getScreenshotAs(OutputType.BYTES);
        // The address now carries the query in its fragment; opening it elsewhere runs the same search.
        String shared = driver.getCurrentUrl();
        assertThat(shared).contains("#q=").contains("rerank=10");
        driver.get("about:blank");
        driver.get(shared);
        wait.until(d -> "1".equals(d.findElement(By.id("status")).getAttribute("data-done")));
        List<String> again = new ArrayList<>();
        for (WebElement h : driver.findElements(By.cssSelector("li.hit"))) {
          again.add(h.getAttribute("data-video"));
        }
        assertThat(again).as("the shared address").isEqualTo(expected);
        assertThat(ImageIO.read(new java.io.ByteArrayInputStream(png)).getWidth()).isGreaterThan(600);
        Path shot = screenshotPath();
        Files.createDirectories(shot.toAbsolutePath().getParent());
        Files.write(shot, png);
      } finally {
        driver.quit();
      }
    }
  }

  /** Polls a condition on the page every 100 ms for at most 60 s (the machine may be busy). */
  record Waiter(WebDriver driver) {
    void until(java.util.function.Predicate<WebDriver> condition) throws InterruptedException {
      long end = System.nanoTime() + 60_000_000_000L;
      RuntimeException last = null;
      while (System.nanoTime() < end) {
        try {
          if (condition.test(driver)) {
            return;
          }
        } catch (RuntimeException e) {
          last = e; // the element may not exist yet
        }
        Thread.sleep(100);
      }
      throw new AssertionError("the page did not reach the expected state within 60 s", last);
    }
  }

  /** Video ids of the API's answer to the same request the page makes. */
  static List<String> apiRanking(URI base, String query) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/search?q="
        + URLEncoder.encode(query, StandardCharsets.UTF_8) + "&k=10&rerank=10&explain=1")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    for (JsonNode h : Json.MAPPER.readTree(r.body()).path("hits")) {
      ids.add(h.path("videoId").asText());
    }
    return ids;
  }

  /** A gradient image per sampled frame of every video, FRAMES/<id>/<k>.png. */
  static void writeFrameImages(Path indexDir, Path frames) throws IOException {
    try (VideoIndex index = VideoIndex.open(indexDir)) {
      for (int v = 0; v < index.count(); v++) {
        Path dir = frames.resolve(index.id(v));
        Files.createDirectories(dir);
        for (int k : index.regions().frameNumbers(v)) {
          BufferedImage img = new BufferedImage(320, 180, BufferedImage.TYPE_INT_RGB);
          Graphics2D g = img.createGraphics();
          g.setPaint(new GradientPaint(0, 0, new Color(60, 90, 120), 320, 180, new Color(200, 190, 160)));
          g.fillRect(0, 0, 320, 180);
          g.dispose();
          ImageIO.write(img, "png", dir.resolve(k + ".png").toFile());
        }
      }
    }
  }

  static Path screenshotPath() throws Exception {
    String p = System.getProperty("regionvlp.screenshot");
    if (p != null) {
      return Path.of(p);
    }
    Path testClasses = Path.of(SearchPageBrowserTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return testClasses.getParent().resolve("search-page.png");
  }

}
