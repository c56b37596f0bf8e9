package regionvlp.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.data.DataFault;
import regionvlp.data.InvalidInputFileException;
import regionvlp.data.datasets.DataCheck;
import regionvlp.data.datasets.DatasetReader;
import regionvlp.data.datasets.Datasets;
import regionvlp.data.datasets.FrameNeed;
import regionvlp.data.datasets.ReadOptions;
import regionvlp.data.datasets.SplitIndex;
import regionvlp.run.Json;

/** {@code regionvlp data}: dataset tools. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Dataset tools.",
    subcommands = {DataCommand.Check.class})
final class DataCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (check)");
  }

  /** {@code regionvlp data check}: reads every clip of a split and reports what is wrong. */
  @Command(name = "check", mixinStandardHelpOptions = true,
      description = {"Read every clip of a split and report: ok, missing, corrupt (with the reason), too few "
          + "frames, wrong feature dim, NaN/Inf; and the metadata rows that cannot be used (non-UTF-8 or empty "
          + "caption, malformed row). Exit 0 when everything is usable, 1 otherwise."},
      footer = {"", "Examples:",
          "  regionvlp data check --dataset didemo --features DIDEMO_FEATURES --meta meta_data --split test --json",
          "  regionvlp data check --dataset msvd --meta meta_data --split test --meta-only",
          "  regionvlp data check --dataset msrvtt --features FEATURES --meta MSRVTT --split train --frames 8 \\",
          "      --faithful-sampling"})
  static final class Check implements Callable<Integer> {
    @Option(names = "--dataset", required = true,
        description = "msrvtt, didemo, msvd, lsmdc, webvid, cc3m or folder (synthvid, tsv).")
    String dataset;

    @Option(names = "--features", description = "The features root (not needed with --meta-only).")
    Path features;

    @Option(names = "--meta", required = true, description = "Metadata file, or the folder of released files.")
    Path meta;

    @Option(names = "--split", description = "train, val or test (default: ${DEFAULT-VALUE}).")
    String split = "test";

    @Option(names = "--frames", description = "F, frames sampled per clip (default: the dataset's, 1 for webvid "
        + "and cc3m, 8 otherwise).")
    Integer frames;

    @Option(names = "--faithful-sampling",
        description = "Check frame counts against the faithful training sampler (K >= 2F).")
    boolean faithfulSampling;

    @Option(names = "--feature-dim", description = "Expected region feature width D (default: ${DEFAULT-VALUE}).")
    int featureDim = 2048;

    @Option(names = "--faithful-header-skip", description = "Drop the first metadata row, as the original does (G12).")
    boolean headerSkip;

    @Option(names = "--all-captions", description = "Every caption of a clip is a query (MSVD, MSR-VTT test).")
    boolean allCaptions;

    @Option(names = "--meta-only", description = "Read the metadata only; open no feature file.")
    boolean metaOnly;

    @Option(names = "--threads", description = "Reader threads (default: ${DEFAULT-VALUE}).")
    int threads = 2;

    @Option(names = "--json", description = "Print the full report as one JSON object on the last line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      if (features == null && !metaOnly) {
        throw new IllegalArgumentException("--features is required unless --meta-only is given");
      }
      if (features != null && !Files.isDirectory(features)) {
        throw new InvalidInputFileException(features, "features root not found; --features names"
            + " the folder holding the clips' frame files");
      }
      DatasetReader reader = Datasets.reader(dataset);
      FrameNeed need = new FrameNeed(frames == null ? reader.defaultFrames() : frames, faithfulSampling);
      Path root = features == null ? Path.of(".") : features;
      SplitIndex index = reader.read(root, meta, new ReadOptions(split, headerSkip, allCaptions));
      Console console = new Console(System.err);
      DataCheck.Report report = metaOnly ? DataCheck.metaOnly(index, need, featureDim)
          : DataCheck.run(index, need, featureDim, threads,
              done -> console.progress("check", done, index.videos().size()));
      Map<String, Object> j = report.toJson();
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "%s %s: %s%n", dataset, split, index.metaFiles()));
      if (j.containsKey("metaLines")) {
        sb.append(String.format(Locale.ROOT, "  metadata: %s physical lines, %s records, header skip %s%n",
            j.get("metaLines"), j.get("metaRecords"), j.get("headerSkip")));
      }
      sb.append(String.format(Locale.ROOT, "  %d captions over %d clips; %d bad metadata rows%n",
          index.captions().size(), index.videos().size(), index.rowFaults().size()));
      if (!metaOnly) {
        sb.append(String.format(Locale.ROOT, "  clips: %d ok, %d missing, %d corrupt, %d too few frames (F=%d%s),"
                + " %d wrong dim (D=%d), %d NaN/Inf; %d frame files read%n", report.okClips(), j.get("missing"),
            j.get("corrupt"), j.get("tooFewFrames"), need.frames(), faithfulSampling ? ", faithful sampler" : "",
            j.get("wrongDim"), featureDim, j.get("nonFinite"), report.framesRead()));
      }
      int shown = 0;
      for (DataFault f : report.clipFaults()) {
        if (shown++ < 20) {
          sb.append("  ").append(f).append('\n');
        }
      }
      for (DataFault f : index.rowFaults()) {
        if (shown++ < 20) {
          sb.append("  ").append(f).append('\n');
        }
      }
      if (shown > 20) {
        sb.append("  ... and ").append(shown - 20).append(" more (--json lists all)\n");
      }
      System.out.print(sb);
      if (json) {
        System.out.println(Json.COMPACT.writeValueAsString(j));
      }
      return report.clean() ? 0 : 1;
    }
  }
}
