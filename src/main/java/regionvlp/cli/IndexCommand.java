package regionvlp.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.features.ClipDataset;
import regionvlp.index.IndexManifest;
import regionvlp.run.Checkpoints;
import regionvlp.run.ExperimentConfig;
import regionvlp.run.IndexBuild;
import regionvlp.run.Json;

/** {@code regionvlp index build|synthetic}: write a search index. */
@Command(name = "index", mixinStandardHelpOptions = true,
    description = "Build a search index of your videos (then: regionvlp search, regionvlp serve).",
    subcommands = {IndexCommand.Build.class, IndexCommand.Synthetic.class})
final class IndexCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: build or synthetic");
  }

  /** HNSW parameters shared by both builders. */
  static final class HnswOptions {
    @Option(names = "--hnsw", description = "Also build a Lucene HNSW graph (DOT_PRODUCT on unit vectors).")
    boolean hnsw;

    @Option(names = "--hnsw-m", description = "Neighbours per HNSW node (default: ${DEFAULT-VALUE}).")
    int maxConn = 16;

    @Option(names = "--hnsw-beam", description = "Candidates kept while building the graph (default: ${DEFAULT-VALUE}).")
    int beamWidth = 100;

    IndexManifest.HnswInfo info() {
      if (!hnsw) {
        return null;
      }
      if (maxConn < 2 || maxConn > 512 || beamWidth < 1 || beamWidth > 3200) {
        throw new IllegalArgumentException("--hnsw-m must be in [2, 512] and --hnsw-beam in [1, 3200], found "
            + maxConn + " and " + beamWidth);
      }
      return new IndexManifest.HnswInfo(maxConn, beamWidth);
    }
  }

  @Command(name = "build", mixinStandardHelpOptions = true,
      description = "Encode every video of a caption table with a checkpoint and write an index folder.",
      footer = {"", "Example:",
          "  regionvlp index build --checkpoint runs/r1 --features data/synthvid/features \\",
          "      --meta data/synthvid/test.tsv --out my-index --regions --hnsw"})
  static final class Build implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "Checkpoint folder or run directory.")
    Path checkpoint;

    @Option(names = "--features", required = true, description = "FEATURES folder (<video_id>/<k>.npz).")
    Path features;

    @Option(names = "--meta", required = true,
        description = "Caption TSV listing the videos (caption<TAB>video_id), or a folder holding test.tsv.")
    Path meta;

    @Option(names = "--out", required = true, description = "The index folder to create (must not exist).")
    Path out;

    @Option(names = "--regions", description = "Store region embeddings (float16), boxes and frame numbers for "
        + "re-ranking and explanations.")
    boolean regions;

    @CommandLine.Mixin HnswOptions hnsw = new HnswOptions();

    @Option(names = "--frames", description = "Frames per clip (default: the checkpoint's data.numFrames).")
    Integer frames;

    @Option(names = "--faithful-header-skip", description = "Drop the first TSV row, as the original does (G12).")
    boolean headerSkip;

    @Override
    public Integer call() {
      IndexManifest.HnswInfo hnswInfo = hnsw.info();
      Console console = new Console(System.err);
      String sha = Checkpoints.weightsSha256(checkpoint);
      try (NDManager root = NDManager.newBaseManager()) {
        Checkpoints.Loaded loaded = Checkpoints.load(checkpoint, root);
        try (var model = loaded.model()) {
          Path table = Files.isDirectory(meta) ? meta.resolve("test.tsv") : meta;
          ClipDataset ds = openClips(loaded.config(), table);
          Map<String, Object> source = new LinkedHashMap<>();
          source.put("features", features.toAbsolutePath().normalize().toString());
          source.put("meta", table.toAbsolutePath().normalize().toString());
          source.put("frames", ds.numFrames());
          source.put("regionsPerFrame", ds.numRegions());
          source.put("sampling", "uniform");
          source.put("headerSkip", headerSkip);
          console.log(String.format(Locale.ROOT, "index: %d videos from %s, %d frames x %d regions%s%s -> %s",
              ds.numVideos(), table, ds.numFrames(), ds.numRegions(), regions ? ", region embeddings" : "",
              hnswInfo != null ? ", HNSW" : "", out));
          long t0 = System.nanoTime();
          IndexManifest m = IndexBuild.build(loaded, sha, ds, source, out,
              new IndexBuild.Options(regions, hnswInfo), root, new IndexBuild.Progress() {
                @Override
                public void encoded(int done, int total) {
                  console.progress("encode", done, total);
                }

                @Override
                public void graph(int done, int total) {
                  console.progress("hnsw", done, total);
                }
              });
          System.out.printf(Locale.ROOT, "index %s: %d videos, %d-d%s%s, built in %.1f s%n", out, m.count(),
              m.embedDim(), m.regions() != null ? ", region embeddings" : "", m.hnsw() != null ? ", HNSW" : "",
              (System.nanoTime() - t0) / 1e9);
        }
      }
      return 0;
    }

    /**
     * The one place the clips of an index come from: today the generic TSV + FEATURES layout that
     * {@code eval} reads, with the checkpoint's frames, feature width and regions.
     */
    private ClipDataset openClips(ExperimentConfig cfg, Path table) {
      int f = frames != null ? frames : cfg.data().numFrames();
      return ClipDataset.open(features, table, headerSkip, f, cfg.model().video().featureDim(),
          cfg.data().numRegions(), false);
    }
  }

  @Command(name = "synthetic", mixinStandardHelpOptions = true,
      description = "Write an index of random clustered unit vectors (for measuring search speed and HNSW "
          + "recall at sizes no corpus here has). Queries are encoded with the given checkpoint.",
      footer = {"", "Example:",
          "  regionvlp index synthetic --checkpoint runs/r1 --count 100000 --out synth-100k --hnsw"})
  static final class Synthetic implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "Checkpoint whose text tower will encode queries.")
    Path checkpoint;

    @Option(names = "--count", required = true, description = "Number of vectors.")
    int count;

    @Option(names = "--clusters", description = "Cluster centres (default: ${DEFAULT-VALUE}).")
    int clusters = 1000;

    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--out", required = true, description = "The index folder to create (must not exist).")
    Path out;

    @CommandLine.Mixin HnswOptions hnsw = new HnswOptions();

    @Override
    public Integer call() {
      Console console = new Console(System.err);
      long t0 = System.nanoTime();
      IndexManifest m = IndexBuild.synthetic(checkpoint, count, clusters, seed, out, hnsw.info(),
          new IndexBuild.Progress() {
            @Override
            public void encoded(int done, int total) {
              console.progress("vectors", done, total);
            }

            @Override
            public void graph(int done, int total) {
              console.progress("hnsw", done, total);
            }
          });
      System.out.printf(Locale.ROOT, "index %s: %d synthetic vectors, %d-d%s, built in %.1f s%n", out, m.count(),
          m.embedDim(), m.hnsw() != null ? ", HNSW" : "", (System.nanoTime() - t0) / 1e9);
      return 0;
    }
  }

  static String json(Object o) {
    try {
      return Json.COMPACT.writeValueAsString(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
