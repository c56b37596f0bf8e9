package regionvlp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import regionvlp.data.Npy;
import regionvlp.data.NpyArray;
import regionvlp.data.synth.SynthConfig;
import regionvlp.data.synth.SynthVid;
import regionvlp.features.ClipDataset;
import regionvlp.model.DualEncoder;
import regionvlp.model.Embedder;
import regionvlp.model.PretrainedText;
import regionvlp.run.Checkpoints;
import regionvlp.run.ConfigLoader;
import regionvlp.run.ExperimentConfig;
import regionvlp.run.Json;
import regionvlp.run.Provenance;
import regionvlp.text.CaptionTokenizer;
import regionvlp.text.TokenizedCaptions;

/**
 * {@code regionvlp embed}: rows equal the {@link Embedder}'s for the same inputs and come in input order;
 * the MiniLM tower's mean-pooled states equal ONNX Runtime's; the Hugging Face fixtures' pooled states equal
 * the reference forward of tools/make_hf_fixture.py.
 */
class EmbedCommandTest {
  @TempDir static Path dir;
  static Path data;
  static Path ckpt;
  static List<String> captions;

  @BeforeAll
  static void corpusAndCheckpoint() throws Exception {
    data = dir.resolve("data");
    SynthVid.generate(SynthConfig.defaults().withSeed(5).withTrainVideos(8).withValVideos(0).withTestVideos(7)
        .withFeatureDim(16).withThreads(2), data, SynthVid.Progress.none());
    ExperimentConfig cfg = ConfigLoader.load("quickstart", List.of("model.video.featureDim=16",
        "model.video.width=32", "model.video.mlpDim=64", "model.text.width=32", "model.text.ffnDim=64",
        "model.text.maxLength=24", "model.text.init=RANDOM", "model.text.maxPositions=64", "model.text.depth=2",
        "model.text.numHeads=4"));
    ckpt = dir.resolve("ckpt");
    try (NDManager m = NDManager.newBaseManager(); DualEncoder model = new DualEncoder(cfg.model(), m, 11)) {
      Checkpoints.save(ckpt, model, cfg, Provenance.capture(11, "{}"));
    }
    captions = List.of("a red dog runs to the left", "Two cats, 3 balls!", "the café is closed.",
        "a small blue cup moves up while the big green ball grows bigger near a tree, and a car stays still; "
            + "meanwhile 2 dogs run left, then right, then left again until sunset",
        "man playing guitar", "someone is playing an instrument", "x", "Ünïcödé accents everywhere",
        "a ball", "the stock market fell 3.5% on Monday", "red", "dogs and cats and birds");
  }

  static Path captionsFile(String name, List<String> lines) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, String.join("\n", lines) + "\n");
    return f;
  }

  static float[][] rows(Path npy) {
    NpyArray a = (NpyArray) Npy.read(npy);
    assertThat(a.descr()).isEqualTo("<f4");
    int n = (int) a.shape()[0];
    int d = (int) a.shape()[1];
    float[] flat = a.toFloatArray();
    float[][] out = new float[n][d];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * d, out[i], 0, d);
    }
    return out;
  }

  static JsonNode lastJson(CliTest.Result r) throws Exception {
    String[] lines = r.out().trim().split("\n");
    return Json.MAPPER.readTree(lines[lines.length - 1]);
  }

  static double maxAbsDiff(float[][] a, float[][] b) {
    assertThat(a.length).isEqualTo(b.length);
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      assertThat(a[i]).hasSameSizeAs(b[i]);
      for (int j = 0; j < a[i].length; j++) {
        worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return worst;
  }

  @Test
  void textRowsAreTheEmbeddersInInputOrder() throws Exception {
    Path out = dir.resolve("text.npy");
    CliTest.Result r = CliTest.run("embed", "text", "--checkpoint", ckpt.toString(), "--captions",
        captionsFile("caps.txt", captions).toString(), "--out", out.toString(), "--batch-size", "5", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode j = lastJson(r);
    assertThat(j.path("rows").asInt()).isEqualTo(12);
    assertThat(j.path("dim").asInt()).isEqualTo(256);
    float[][] got = rows(out);
    float[][] expected;
    try (NDManager m = NDManager.newBaseManager()) {
      Checkpoints.Loaded loaded = Checkpoints.load(ckpt, m);
      try (DualEncoder model = loaded.model();
          CaptionTokenizer tok = PretrainedText.tokenizer(model.config().text())) {
        expected = new Embedder(model, m, 5).captions(tok.encode(captions));
      }
    }
    assertThat(maxAbsDiff(got, expected)).isEqualTo(0.0);
    assertThat(Files.readAllLines(dir.resolve("text.ids.txt")))
        .containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12");

    // The same captions in reverse order give the same rows in reverse order (other chunk boundaries).
    List<String> reversed = new ArrayList<>(captions);
    Collections.reverse(reversed);
    Path rev = dir.resolve("reversed.npy");
    CliTest.Result rr = CliTest.run("embed", "text", "--checkpoint", ckpt.toString(), "--captions",
        captionsFile("rev.txt", reversed).toString(), "--out", rev.toString(), "--batch-size", "5");
    assertThat(rr.exit()).as(rr.err()).isZero();
    float[][] back = rows(rev);
    Collections.reverse(java.util.Arrays.asList(back));
    assertThat(maxAbsDiff(back, got)).isLessThan(1e-5);
    assertThat(maxAbsDiff(new float[][] {got[0]}, new float[][] {got[1]})).as("rows differ").isGreaterThan(1e-3);
  }

  @Test
  void towerOnlyFromACheckpointPoolsItsTransformer() throws Exception {
    Path out = dir.resolve("tower.npy");
    List<String> few = captions.subList(0, 4);
    CliTest.Result r = CliTest.run("embed", "text", "--checkpoint", ckpt.toString(), "--text-tower-only",
        "--pooling", "cls", "--captions", captionsFile("few.txt", few).toString(), "--out", out.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    float[][] got = rows(out);
    float[][] expected = new float[few.size()][];
    try (NDManager m = NDManager.newBaseManager()) {
      Checkpoints.Loaded loaded = Checkpoints.load(ckpt, m);
      try (DualEncoder model = loaded.model();
          CaptionTokenizer tok = PretrainedText.tokenizer(model.config().text())) {
        TokenizedCaptions t = tok.encode(few);
        float[] h = model.textHidden(m.create(t.ids(), new ai.djl.ndarray.types.Shape(few.size(), t.length())),
            m.create(t.mask(), new ai.djl.ndarray.types.Shape(few.size(), t.length()))).toFloatArray();
        int w = model.config().text().width();
        for (int i = 0; i < few.size(); i++) {
          expected[i] = java.util.Arrays.copyOfRange(h, i * t.length() * w, i * t.length() * w + w);
        }
      }
    }
    assertThat(got[0]).hasSize(32); // the transformer's width, not the 256-d joint space
    assertThat(maxAbsDiff(got, expected)).isLessThan(1e-6);
  }

  @Test
  void videoRowsFollowTheMetaOrder() throws Exception {
    Path out = dir.resolve("videos.npy");
    CliTest.Result r = CliTest.run("embed", "videos", "--checkpoint", ckpt.toString(), "--features",
        data.resolve("features").toString(), "--meta", data.resolve("test.tsv").toString(), "--out",
        out.toString(), "--batch-size", "3", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(lastJson(r).path("kind").asText()).isEqualTo("videos");
    float[][] got = rows(out);
    float[][] expected;
    List<String> ids;
    try (NDManager m = NDManager.newBaseManager()) {
      Checkpoints.Loaded loaded = Checkpoints.load(ckpt, m);
      try (DualEncoder model = loaded.model()) {
        ClipDataset ds = ClipDataset.open(data.resolve("features"), data.resolve("test.tsv"), false, 4, 16, 30,
            false);
        expected = new Embedder(model, m, 3).videos(ds, null);
        ids = ds.videoIds();
      }
    }
    assertThat(got).hasNumberOfRows(7);
    assertThat(maxAbsDiff(got, expected)).isEqualTo(0.0);
    assertThat(Files.readAllLines(dir.resolve("videos.ids.txt"))).containsExactlyElementsOf(ids);
    // Meta order is the order of first appearance in test.tsv.
    List<String> firstSeen = new ArrayList<>();
    for (String line : Files.readAllLines(data.resolve("test.tsv"))) {
      String id = line.substring(line.indexOf('\t') + 1);
      if (!firstSeen.contains(id)) {
        firstSeen.add(id);
      }
    }
    assertThat(ids).containsExactlyElementsOf(firstSeen);
  }

  @Test
  void miniLmMeanPoolingMatchesOnnxRuntime() throws Exception {
    int len = 32;
    Path mean = dir.resolve("minilm-mean.npy");
    CliTest.Result r = CliTest.run("embed", "text", "--text-tower-only", "--pooling", "mean", "--max-length",
        Integer.toString(len), "--captions", captionsFile("minilm.txt", captions).toString(), "--out",
        mean.toString(), "--batch-size", "5", "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(lastJson(r).path("pooling").asText()).isEqualTo("mean");
    assertThat(lastJson(r).path("source").asText()).contains("all-MiniLM-L6-v2");

    TokenizedCaptions tok;
    try (CaptionTokenizer t = CaptionTokenizer.bundled(len)) {
      tok = t.encode(captions);
    }
    int n = captions.size();
    float[][][] h = onnxRuntimeLastHiddenState(tok, n, len);
    float[][] refMean = new float[n][384];
    for (int i = 0; i < n; i++) {
      int count = 0;
      for (int t = 0; t < len; t++) {
        if (tok.mask()[i * len + t] == 1) {
          count++;
          for (int d = 0; d < 384; d++) {
            refMean[i][d] += h[i][t][d];
          }
        }
      }
      for (int d = 0; d < 384; d++) {
        refMean[i][d] /= count;
      }
    }
    assertThat(maxAbsDiff(rows(mean), refMean)).as("mean pooling vs ONNX Runtime").isLessThanOrEqualTo(1e-4);
    // Not vacuous: pooling differs from the [CLS] state, and the longest caption was truncated.
    float[][] cls = new float[n][];
    for (int i = 0; i < n; i++) {
      cls[i] = h[i][0];
    }
    assertThat(maxAbsDiff(refMean, cls)).isGreaterThan(0.1);
    assertThat(tok.mask()[3 * len + len - 1]).as("caption 3 fills all %d tokens", len).isEqualTo(1);
  }

  static float[][][] onnxRuntimeLastHiddenState(TokenizedCaptions tok, int n, int len) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] onnx;
    try (InputStream in = EmbedCommandTest.class.getClassLoader()
        .getResourceAsStream(PretrainedText.MINILM_RESOURCE)) {
      onnx = in.readAllBytes();
    }
    long[] shape = {n, len};
    try (OrtSession s = env.createSession(onnx, new OrtSession.SessionOptions());
        OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(tok.ids()), shape);
        OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(tok.mask()), shape);
        OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[n * len]), shape);
        OrtSession.Result r = s.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
      return (float[][][]) r.get(0).getValue();
    }
  }

  @Test
  void huggingFaceFoldersPoolToTheReferenceForward() throws Exception {
    JsonNode g;
    try (InputStream in = getClass().getResourceAsStream("/golden/hf_text.json")) {
      g = Json.MAPPER.readTree(in);
    }
    int len = g.path("maxLength").asInt();
    int w = g.path("hidden").asInt();
    List<String> sentences = new ArrayList<>();
    g.path("sentences").forEach(s -> sentences.add(s.asText()));
    // The fixture has a sentence with a tab and surrounding blanks; a captions file keeps it on one line.
    Path capsFile = captionsFile("hf.txt", sentences);
    int n = sentences.size();
    for (String[] c : new String[][] {{"bert-tiny", "cls"}, {"distilbert-tiny", "mean"}}) {
      Path folder = Path.of(getClass().getResource("/fixtures/hf/" + c[0] + "/config.json").toURI()).getParent();
      Path out = dir.resolve(c[0] + ".npy");
      CliTest.Result r = CliTest.run("embed", "text", "--text-tower-only", "--hf", folder.toString(), "--pooling",
          c[1], "--max-length", Integer.toString(len), "--captions", capsFile.toString(), "--out", out.toString());
      assertThat(r.exit()).as(r.err()).isZero();
      JsonNode h = g.path("models").path(c[0]).path("lastHiddenState");
      float[][] ref = new float[n][w];
      for (int i = 0; i < n; i++) {
        int count = 0;
        for (int t = 0; t < len; t++) {
          boolean use = c[1].equals("cls") ? t == 0 : g.path("mask").get(i).get(t).asInt() == 1;
          if (use) {
            count++;
            for (int d = 0; d < w; d++) {
              ref[i][d] += (float) h.get((i * len + t) * w + d).asDouble();
            }
          }
        }
        for (int d = 0; d < w; d++) {
          ref[i][d] /= count;
        }
      }
      float[][] got = rows(out);
      for (int i = 0; i < n; i++) {
        for (int d = 0; d < w; d++) {
          assertThat((double) Math.abs(got[i][d] - ref[i][d])).as("%s %s row %d dim %d", c[0], c[1], i, d)
              .isLessThanOrEqualTo(1e-5 + 1e-5 * Math.abs(ref[i][d]));
        }
      }
    }
  }

  @Test
  void badInputAndFlagCombinationsAreRefused() throws Exception {
    Path blank = captionsFile("blank.txt", List.of("one", "two", "  ", "four"));
    CliTest.Result r = CliTest.run("embed", "text", "--checkpoint", ckpt.toString(), "--captions",
        blank.toString(), "--out", dir.resolve("never.npy").toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains(blank.toString()).contains("line 3 is blank");
    assertThat(dir.resolve("never.npy")).doesNotExist();

    CliTest.Result p = CliTest.run("embed", "text", "--checkpoint", ckpt.toString(), "--pooling", "mean",
        "--captions", blank.toString(), "--out", dir.resolve("never.npy").toString());
    assertThat(p.exit()).isEqualTo(2);
    assertThat(p.err()).contains("--pooling needs --text-tower-only");

    CliTest.Result none = CliTest.run("embed", "text", "--captions", blank.toString(), "--out",
        dir.resolve("never.npy").toString());
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("embed text needs --checkpoint");

    CliTest.Result len = CliTest.run("embed", "text", "--text-tower-only", "--max-length", "600", "--captions",
        captionsFile("ok.txt", List.of("fine")).toString(), "--out", dir.resolve("never.npy").toString());
    assertThat(len.exit()).isEqualTo(2);
    assertThat(len.err()).contains("--max-length must be in [3, 512]");
  }
}
