package regionvlp.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.features.ClipDataset;
import regionvlp.model.DualEncoder;
import regionvlp.model.Embedder;
import regionvlp.model.PretrainedText;
import regionvlp.model.TextPooling;
import regionvlp.run.Checkpoints;
import regionvlp.run.Embeddings;
import regionvlp.run.Json;
import regionvlp.text.CaptionTokenizer;

/** {@code regionvlp embed text|videos}: embeddings as float32 .npy rows, with their ids beside them. */
@Command(name = "embed", mixinStandardHelpOptions = true,
    description = "Write embeddings as a float32 .npy matrix [n, dim], one row per input in input order, plus "
        + "OUT.ids.txt (OUT without .npy) with row i's id on line i.",
    subcommands = {EmbedCommand.Text.class, EmbedCommand.Videos.class})
final class EmbedCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "embed needs text or videos");
  }

  /** {@code embed text}. */
  @Command(name = "text", mixinStandardHelpOptions = true,
      description = {"Caption embeddings: the global (projected, [CLS]) text embedding of a checkpoint, or with "
          + "--text-tower-only the text transformer's pooled last hidden states before any projection.",
          "Rows are not L2-normalised (retrieval uses their cosine). Ids are the captions' line numbers (1-based)."},
      footer = {"", "Examples:",
          "  regionvlp embed text --checkpoint runs/r1 --captions queries.txt --out queries.npy",
          "  regionvlp embed text --text-tower-only --pooling mean --captions queries.txt --out minilm.npy",
          "  regionvlp embed text --text-tower-only --hf models/bert-base-uncased --pooling cls \\",
          "      --captions queries.txt --out bert.npy"})
  static final class Text implements Callable<Integer> {
    @Option(names = "--checkpoint", description = "Our checkpoint folder or run directory (its checkpoints/last).")
    Path checkpoint;

    @Option(names = "--captions", required = true,
        description = "UTF-8 text file, one caption per line; a blank line is an error.")
    Path captions;

    @Option(names = "--out", required = true, description = "The .npy file to write.")
    Path out;

    @Option(names = "--text-tower-only", description = "Pool the text transformer's hidden states instead "
        + "(no txt_proj head). Source: --checkpoint, --hf DIR, or all-MiniLM-L6-v2 when neither is given.")
    boolean towerOnly;

    @Option(names = "--pooling", description = "With --text-tower-only: mean (over real tokens) or cls "
        + "(default: mean).")
    String pooling;

    @Option(names = "--hf", description = "With --text-tower-only: a Hugging Face BERT or DistilBERT folder "
        + "(config.json, model.safetensors, tokenizer.json).")
    Path hf;

    @Option(names = "--max-length", description = "Tokens per caption, [CLS] and [SEP] included (default: the "
        + "checkpoint's model.text.maxLength; 128 for --hf and MiniLM).")
    Integer maxLength;

    @Option(names = "--batch-size", description = "Captions per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize = 64;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      if (batchSize < 1) {
        throw new IllegalArgumentException("--batch-size must be >= 1, found " + batchSize);
      }
      if (!towerOnly && (pooling != null || hf != null)) {
        throw new IllegalArgumentException((pooling != null ? "--pooling" : "--hf") + " needs --text-tower-only");
      }
      if (!towerOnly && checkpoint == null) {
        throw new IllegalArgumentException("embed text needs --checkpoint, or --text-tower-only (with --hf DIR, "
            + "--checkpoint, or neither for all-MiniLM-L6-v2)");
      }
      TextPooling pool = pooling == null ? TextPooling.MEAN : switch (pooling) {
        case "mean" -> TextPooling.MEAN;
        case "cls" -> TextPooling.CLS;
        default -> throw new IllegalArgumentException("--pooling must be mean or cls, found '" + pooling + "'");
      };
      List<String> lines = Embeddings.readCaptions(captions);
      float[][] rows;
      String source;
      try (NDManager root = NDManager.newBaseManager()) {
        if (towerOnly) {
          try (Embeddings.TextTower tower = Embeddings.textTower(checkpoint, hf, maxLength, root)) {
            rows = Embedder.pooledText(tower.encoder(), tower.tokenizer().encode(lines), pool, root, batchSize);
            source = tower.source();
          }
        } else {
          Checkpoints.Loaded loaded = Checkpoints.load(checkpoint, root);
          try (DualEncoder model = loaded.model();
              CaptionTokenizer tok = PretrainedText.tokenizer(maxLength == null ? model.config().text()
                  : model.config().text().withMaxLength(maxLength))) {
            rows = new Embedder(model, root, batchSize).captions(tok.encode(lines));
            source = "checkpoint " + loaded.dir();
          }
        }
      }
      List<String> ids = new ArrayList<>(lines.size());
      for (int i = 1; i <= lines.size(); i++) {
        ids.add(Integer.toString(i));
      }
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("kind", towerOnly ? "text-tower" : "text");
      if (towerOnly) {
        extra.put("pooling", pool.name().toLowerCase(Locale.ROOT));
      }
      report(Embeddings.write(out, rows, ids), source, extra, json);
      return 0;
    }
  }

  /** {@code embed videos}. */
  @Command(name = "videos", mixinStandardHelpOptions = true,
      description = {"Global video embeddings of a checkpoint, one row per distinct video of the caption table "
          + "in order of first appearance, sampled with the uniform (test) sampler.",
          "Rows are not L2-normalised. Ids are the video ids."},
      footer = {"", "Example:",
          "  regionvlp embed videos --checkpoint runs/r1 --features DATA/features --meta DATA/test.tsv \\",
          "      --out videos.npy"})
  static final class Videos implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true,
        description = "Our checkpoint folder or run directory (its checkpoints/last).")
    Path checkpoint;

    @Option(names = "--features", required = true, description = "FEATURES folder (FEATURES/<video_id>/<k>.npz).")
    Path features;

    @Option(names = "--meta", required = true,
        description = "Caption table (caption<TAB>video_id) naming the videos, or a folder holding test.tsv.")
    Path meta;

    @Option(names = "--out", required = true, description = "The .npy file to write.")
    Path out;

    @Option(names = "--frames", description = "Frames per clip (default: the checkpoint's data.numFrames).")
    Integer frames;

    @Option(names = "--faithful-header-skip", description = "Drop the first table row, as the original does (G12).")
    boolean headerSkip;

    @Option(names = "--batch-size", description = "Videos per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize = 64;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      if (batchSize < 1) {
        throw new IllegalArgumentException("--batch-size must be >= 1, found " + batchSize);
      }
      Path table = Files.isDirectory(meta) ? meta.resolve("test.tsv") : meta;
      Console console = new Console(System.err);
      float[][] rows;
      List<String> ids;
      String source;
      try (NDManager root = NDManager.newBaseManager()) {
        Checkpoints.Loaded loaded = Checkpoints.load(checkpoint, root);
        try (DualEncoder model = loaded.model()) {
          int f = frames != null ? frames : loaded.config().data().numFrames();
          ClipDataset ds = ClipDataset.open(features, table, headerSkip, f,
              loaded.config().model().video().featureDim(), loaded.config().data().numRegions(), false);
          rows = new Embedder(model, root, batchSize).videos(ds,
              done -> console.progress("embed", done, ds.numVideos()));
          ids = ds.videoIds();
          source = "checkpoint " + loaded.dir();
        }
      }
      report(Embeddings.write(out, rows, ids), source, Map.of("kind", "videos"), json);
      return 0;
    }
  }

  private static void report(Embeddings.Written w, String source, Map<String, Object> extra, boolean json)
      throws Exception {
    System.out.println(String.format(Locale.ROOT, "wrote %d x %d float32 rows to %s (ids: %s) from %s",
        w.rows(), w.dim(), w.npy(), w.ids(), source));
    if (json) {
      Map<String, Object> j = new LinkedHashMap<>(extra);
      j.put("rows", w.rows());
      j.put("dim", w.dim());
      j.put("out", w.npy().toString());
      j.put("ids", w.ids().toString());
      j.put("source", source);
      System.out.println(Json.COMPACT.writeValueAsString(j));
    }
  }
}
