package regionvlp.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import regionvlp.data.FeatureStore;
import regionvlp.data.FeatureStoreManifest;
import regionvlp.features.RegionSelector;
import regionvlp.features.StoreConverter;
import regionvlp.run.Json;

/** {@code regionvlp features convert|verify}: the memory-mapped feature store (docs/FEATURE-STORE.md). */
@Command(name = "features", mixinStandardHelpOptions = true,
    description = "Convert a raw .npz feature tree to a fast feature store, or verify a store.",
    subcommands = {FeaturesCommand.Convert.class, FeaturesCommand.Verify.class})
final class FeaturesCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: convert or verify");
  }

  /** {@code features convert}. */
  @Command(name = "convert", mixinStandardHelpOptions = true,
      description = {"Walk a bottom-up-attention feature tree (<clip>/<k>.npz per frame, or <id>.npz per image),"
          + " keep the top R regions of every frame by objects_conf with the 6-d box encoding (METHOD.md 1.4),"
          + " and write memory-mappable .npy shards plus manifest.json (written last).",
          "An interrupted conversion resumes when run again with the same options."},
      footer = {"", "Examples:",
          "  regionvlp features convert --from data/synthvid/features --to data/synthvid/store",
          "  regionvlp features convert --from /data/webvid/objects --to /fast/webvid-store --dtype fp16 --skip-bad",
          "  regionvlp train --config quickstart --set data.store=data/synthvid/store --set data.trainMeta=... --out r1"})
  static final class Convert implements Callable<Integer> {
    @Option(names = "--from", required = true, description = "Feature tree root.")
    Path from;

    @Option(names = "--to", required = true, description = "New store folder (or an unfinished one to resume).")
    Path to;

    @Option(names = "--dtype", description = "fp32 (identical to reading the tree) or fp16 (half the size;"
        + " values rounded to half precision). Default: ${DEFAULT-VALUE}.")
    String dtype = "fp32";

    @Option(names = "--regions", description = "R, regions kept per frame (default: ${DEFAULT-VALUE}).")
    int regions = RegionSelector.DEFAULT_MAX_REGIONS;

    @Option(names = "--feature-dim", description = "Required feature dim D (default: that of the first frame).")
    int featureDim;

    @Option(names = "--shard-mb", description = "Shard size bound in MiB, below 2048 (default: ${DEFAULT-VALUE}).")
    int shardMb = 1024;

    @Option(names = "--threads", description = "Decoding threads (default: the number of cores).")
    Integer threads;

    @Option(names = "--skip-bad", description = "Leave out unreadable clips (listed in the manifest) instead of failing.")
    boolean skipBad;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Override
    public Integer call() {
      if (shardMb < 1 || shardMb >= 2048) {
        throw new IllegalArgumentException("--shard-mb must be in [1, 2047], found " + shardMb);
      }
      FeatureStore.DType type;
      try {
        type = FeatureStore.DType.parse(dtype);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--dtype: " + e.getMessage());
      }
      int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
      Console console = new Console(System.err);
      long t0 = System.nanoTime();
      long[] lastLog = {t0};
      StoreConverter.Report r = StoreConverter.convert(from, to,
          new StoreConverter.Options(type, regions, featureDim, (long) shardMb << 20, n, skipBad), console::log,
          (done, total) -> {
            console.ttyProgress("convert", done, total);
            long now = System.nanoTime();
            if (now - lastLog[0] > 10_000_000_000L && done < total) {
              lastLog[0] = now;
              double rate = done / ((now - t0) / 1e9);
              console.log(String.format(Locale.ROOT, "convert %d/%d clips, %.1f clips/s, about %.0f s left", done,
                  total, rate, (total - done) / rate));
            }
          });
      FeatureStoreManifest m = r.manifest();
      long bytes = m.keys().bytes() + m.index().bytes();
      for (FeatureStoreManifest.Shard s : m.shards()) {
        bytes += s.regions().bytes() + s.valid().bytes();
      }
      System.out.printf(Locale.ROOT, "feature store %s: %d clips, %d frames, R=%d, D=%d, %s, %d shard(s), %.1f MB"
          + " in %.1f s%n", r.store(), m.numClips(), m.numFrames(), m.numRegions(), m.featureDim(),
          m.dtype().numpyName(), m.shards().size(), bytes / 1e6, r.seconds());
      if (r.resumedShards() > 0) {
        System.out.printf(Locale.ROOT, "  resumed: %d of %d shards were already written%n", r.resumedShards(),
            r.shardsPlanned());
      }
      if (!m.skipped().isEmpty()) {
        System.out.printf(Locale.ROOT, "  %d clip(s) skipped, listed in %s%n", m.skipped().size(),
            r.store().resolve(FeatureStore.MANIFEST));
      }
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("store", r.store().toString());
        out.put("clips", m.numClips());
        out.put("frames", m.numFrames());
        out.put("numRegions", m.numRegions());
        out.put("featureDim", m.featureDim());
        out.put("dtype", m.dtype().numpyName());
        out.put("shards", m.shards().size());
        out.put("resumedShards", r.resumedShards());
        out.put("skipped", m.skipped().size());
        out.put("bytes", bytes);
        out.put("seconds", Math.round(r.seconds() * 100) / 100.0);
        System.out.println(toJson(out));
      }
      return 0;
    }
  }

  /** {@code features verify}. */
  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Checksum every file of a store against its manifest (ignores the verification stamp);"
          + " exit 1 naming the first bad file.",
      footer = {"", "Example:", "  regionvlp features verify data/synthvid/store --json"})
  static final class Verify implements Callable<Integer> {
    @Parameters(paramLabel = "STORE", description = "Store folder.")
    Path store;

    @Option(names = "--json", description = "Print one JSON object on the last line.")
    boolean json;

    @Override
    public Integer call() {
      Console console = new Console(System.err);
      long t0 = System.nanoTime();
      long bytes = FeatureStore.verifyAll(store, console::log);
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(Locale.ROOT, "ok: %s, %.1f MB checksummed in %.1f s%n", store, bytes / 1e6, seconds);
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("store", store.toString());
        out.put("ok", true);
        out.put("bytes", bytes);
        out.put("seconds", Math.round(seconds * 100) / 100.0);
        System.out.println(toJson(out));
      }
      return 0;
    }
  }

  static String toJson(Object o) {
    try {
      return Json.COMPACT.writeValueAsString(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
