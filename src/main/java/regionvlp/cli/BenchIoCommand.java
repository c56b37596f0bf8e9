package regionvlp.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import regionvlp.data.BottomUpNpz;
import regionvlp.data.FeatureStore;
import regionvlp.data.FeatureTree;
import regionvlp.data.InvalidInputFileException;
import regionvlp.features.FrameSampler;
import regionvlp.features.RegionSelector;
import regionvlp.features.StoreConverter;

/**
 * {@code bench io} : clips per second
 * read from the npz tree and from a feature store, side by side in one run, one thread each.
 *
 * <p>A "clip read" is what one training item costs: F frames chosen by the uniform sampler, each turned
 * into its {@code [R, D+6]} block and mask. From the tree that is {@link BottomUpNpz#read} (zip, npy and the
 * pickled info dict) plus {@link RegionSelector}; from the store, a copy out of the mapped shard. Passes
 * alternate between the two sources, so both see the same page-cache state, and each starts after a
 * garbage collection; the first pass may include cold reads and JIT warm-up, later ones are served from
 * memory when the data fits. Reported per source: the best, median and first pass in wall-clock time, and
 * clips per CPU-second of the whole JVM (median pass; reader, GC and JIT threads), which stays meaningful
 * on a machine shared with other jobs, where wall time mostly measures the scheduler. The output of both sources is hashed:
 * for a float32 store they must agree bit for bit ({@code identical}).
 */
@Command(name = "io", mixinStandardHelpOptions = true,
    description = "Clips/s reading the npz tree vs the feature store, measured side by side (one thread).",
    footer = {"", "Examples:",
        "  regionvlp bench io --features data/synthvid/features --store data/synthvid/store --json",
        "  regionvlp bench io --features data/synthvid/features --dtype fp16   # converts to a temporary store"})
final class BenchIoCommand implements Callable<Integer> {
  @Option(names = "--features", required = true, description = "Feature tree root.")
  Path features;

  @Option(names = "--store", description = "Store converted from --features (default: convert to a temporary"
      + " store, removed afterwards).")
  Path store;

  @Option(names = "--dtype", description = "dtype of the temporary store (default: ${DEFAULT-VALUE}).")
  String dtype = "fp32";

  @Option(names = "--frames", description = "F, frames read per clip (default: ${DEFAULT-VALUE}).")
  int frames = 8;

  @Option(names = "--regions", description = "R, regions per frame (default: ${DEFAULT-VALUE}).")
  int regions = RegionSelector.DEFAULT_MAX_REGIONS;

  @Option(names = "--clips", description = "Read only the first N clips in key order (default: all).")
  Integer clips;

  @Option(names = "--access", description = "How the store is read: read (positional reads, what training uses)"
      + " or mapped (memory mapping). Default: ${DEFAULT-VALUE}.")
  String access = "read";

  @Option(names = "--passes", description = "Timed passes over the clips per source (default: ${DEFAULT-VALUE}).")
  int passes = 3;

  @Option(names = "--json", description = "Print one JSON object on the last line.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    if (frames < 1 || regions < 1 || passes < 1 || (clips != null && clips < 1)) {
      throw new IllegalArgumentException("--frames, --regions, --passes and --clips must be >= 1");
    }
    Console console = new Console(System.err);
    FeatureTree tree = FeatureTree.scan(features);
    if (!tree.problems().isEmpty()) {
      throw new InvalidInputFileException(features, "cannot benchmark a tree with bad clips: "
          + tree.problems().get(0).reason());
    }
    List<FeatureTree.Entry> entries = tree.entries();
    if (entries.isEmpty()) {
      throw new InvalidInputFileException(features, "no clips found");
    }
    if (clips != null && clips < entries.size()) {
      entries = entries.subList(0, clips);
    }
    Path storeDir = store;
    Path temp = null;
    Double convertSeconds = null;
    if (storeDir == null) {
      temp = Files.createTempDirectory("regionvlp-bench-store");
      storeDir = temp.resolve("store");
      console.log("bench io: converting " + features + " to a temporary store " + storeDir);
      StoreConverter.Report r = StoreConverter.convert(features, storeDir, new StoreConverter.Options(
          FeatureStore.DType.parse(dtype), regions, 0, 1L << 30, Runtime.getRuntime().availableProcessors(), false),
          console::log, (d, t) -> console.ttyProgress("convert", d, t));
      convertSeconds = r.seconds();
    }
    FeatureStore.Access mode = switch (access) {
      case "read" -> FeatureStore.Access.READ;
      case "mapped" -> FeatureStore.Access.MAPPED;
      default -> throw new IllegalArgumentException("--access must be read or mapped, found '" + access + "'");
    };
    try (FeatureStore fs = FeatureStore.open(storeDir, FeatureStore.Verify.ONCE, mode, console::log)) {
      return measure(console, tree, entries, fs, convertSeconds);
    } finally {
      if (temp != null) {
        deleteTree(temp);
      }
    }
  }

  private int measure(Console console, FeatureTree tree, List<FeatureTree.Entry> entries, FeatureStore fs,
      Double convertSeconds) throws IOException {
    if (fs.numRegions() < regions) {
      throw new IllegalArgumentException("--regions " + regions + " exceeds the " + fs.numRegions()
          + " regions stored per frame in " + fs.root());
    }
    int dim = fs.featureDim();
    RegionSelector selector = new RegionSelector(regions, dim);
    int[] storeIndex = new int[entries.size()];
    for (int i = 0; i < entries.size(); i++) {
      FeatureTree.Entry e = entries.get(i);
      storeIndex[i] = fs.indexOf(e.key());
      if (storeIndex[i] < 0 || fs.frameCount(storeIndex[i]) != e.numFrames()) {
        throw new InvalidInputFileException(fs.root(), "the store does not match the tree: clip '" + e.key()
            + "' (" + e.numFrames() + " frames in the tree) is " + (storeIndex[i] < 0 ? "missing"
            : "stored with " + fs.frameCount(storeIndex[i]) + " frames") + "; convert --features again");
      }
    }
    int slots = regions * selector.regionDim();
    float[] clipRegions = new float[frames * slots];
    float[] clipMask = new float[frames * regions];
    FrameSampler uniform = FrameSampler.uniform();
    long framesPerPass = 0;
    for (FeatureTree.Entry e : entries) {
      framesPerPass += uniform.sample(e.numFrames(), frames, null).length;
    }
    console.log(String.format(Locale.ROOT, "bench io: %d clips, %d frames per pass, F=%d, R=%d, D=%d; store %s"
        + " (%s, %s); %d passes each", entries.size(), framesPerPass, frames, regions, dim, fs.root(),
        fs.dtype().numpyName(), access, passes));

    double[] treeSeconds = new double[passes];
    double[] storeSeconds = new double[passes];
    double[] treeCpu = new double[passes];
    double[] storeCpu = new double[passes];
    double sink = 0;
    for (int p = 0; p < passes; p++) {
      for (int half = 0; half < 2; half++) {
        boolean readTree = (half == 0) == (p % 2 == 0);
        // Untimed: collect the garbage of the previous pass (the tree allocates per frame, the store does
        // not), so that neither source pays for the other's collections.
        System.gc();
        long c0 = processCpuNanos();
        long t0 = System.nanoTime();
        for (int i = 0; i < entries.size(); i++) {
          readClip(readTree, tree, entries.get(i), fs, storeIndex[i], selector, clipRegions, clipMask);
          sink += clipRegions[clipRegions.length - 1];
        }
        double s = (System.nanoTime() - t0) / 1e9;
        double cpu = (processCpuNanos() - c0) / 1e9;
        (readTree ? treeSeconds : storeSeconds)[p] = s;
        (readTree ? treeCpu : storeCpu)[p] = cpu;
        console.log(String.format(Locale.ROOT, "pass %d %-5s %8.1f clips/s (%.2f s wall, %.2f s cpu)", p + 1,
            readTree ? "tree" : "store", entries.size() / s, s, cpu));
      }
    }
    // Untimed: both sources must give the same clips (bit for bit from float32, within half rounding from
    // float16). The sink keeps the timed loops' results alive.
    float[] other = new float[clipRegions.length];
    float[] otherMask = new float[clipMask.length];
    double maxAbsDiff = 0;
    boolean masksEqual = true;
    for (int i = 0; i < entries.size(); i++) {
      readClip(true, tree, entries.get(i), fs, storeIndex[i], selector, clipRegions, clipMask);
      readClip(false, tree, entries.get(i), fs, storeIndex[i], selector, other, otherMask);
      masksEqual &= Arrays.equals(clipMask, otherMask);
      for (int j = 0; j < other.length; j++) {
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(clipRegions[j] - other[j]));
      }
    }
    if (Double.isNaN(sink)) {
      console.log("bench io: NaN in the clips read");
    }
    double treeBest = entries.size() / Arrays.stream(treeSeconds).min().orElseThrow();
    double storeBest = entries.size() / Arrays.stream(storeSeconds).min().orElseThrow();
    double speedup = storeBest / treeBest;
    double treeMedian = entries.size() / median(treeSeconds);
    double storeMedian = entries.size() / median(storeSeconds);
    double treePerCpu = entries.size() / median(treeCpu);
    double storePerCpu = entries.size() / median(storeCpu);
    boolean identical = masksEqual && maxAbsDiff == 0;
    long treeBytes = bytesOf(tree, entries);
    long storeBytes = 0;
    for (FeatureTree.Entry e : entries) {
      storeBytes += (long) e.numFrames() * (fs.numRegions() * (long) fs.regionDim() * fs.dtype().bytes() + 8);
    }

    System.out.printf(Locale.ROOT, "%-6s %13s %13s %13s %15s %11s%n", "source", "best clips/s", "median",
        "first pass", "clips/cpu-s", "MB on disk");
    System.out.printf(Locale.ROOT, "%-6s %13.1f %13.1f %13.1f %15.1f %11.1f%n", "tree", treeBest, treeMedian,
        entries.size() / treeSeconds[0], treePerCpu, treeBytes / 1e6);
    System.out.printf(Locale.ROOT, "%-6s %13.1f %13.1f %13.1f %15.1f %11.1f%n", "store", storeBest, storeMedian,
        entries.size() / storeSeconds[0], storePerCpu, storeBytes / 1e6);
    System.out.printf(Locale.ROOT, "store/tree: %.1fx best pass, %.1fx median pass, %.1fx per cpu-second; %s%n",
        speedup, storeMedian / treeMedian, storePerCpu / treePerCpu, identical ? "clips identical"
        : String.format(Locale.ROOT, "max |store - tree| %.3g, masks %s", maxAbsDiff, masksEqual ? "equal" : "DIFFER"));
    if (json) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("benchmark", "io");
      out.put("features", features.toString());
      out.put("storePath", fs.root().toString());
      out.put("dtype", fs.dtype().numpyName());
      out.put("access", access);
      out.put("clips", entries.size());
      out.put("framesPerClip", frames);
      out.put("framesPerPass", framesPerPass);
      out.put("numRegions", regions);
      out.put("featureDim", dim);
      out.put("passes", passes);
      out.put("threads", 1);
      out.put("tree", source(entries.size(), treeSeconds, treeCpu, treeBytes));
      out.put("store", source(entries.size(), storeSeconds, storeCpu, storeBytes));
      out.put("speedup", round(speedup));
      out.put("medianSpeedup", round(storeMedian / treeMedian));
      out.put("cpuSpeedup", round(storePerCpu / treePerCpu));
      out.put("identical", identical);
      out.put("maxAbsDiff", maxAbsDiff);
      out.put("masksEqual", masksEqual);
      out.put("convertSeconds", convertSeconds == null ? null : round(convertSeconds));
      System.out.println(FeaturesCommand.toJson(out));
    }
    boolean consistent = masksEqual && (fs.dtype() == FeatureStore.DType.FLOAT16 || identical);
    if (!consistent) {
      console.log("bench io: the store does not give the same clips as the tree; was it converted from --features"
          + " with the same --regions?");
    }
    return consistent ? 0 : 1;
  }

  /** One clip, F uniformly sampled frames, from the tree or the store, into the given buffers. */
  private void readClip(boolean fromTree, FeatureTree tree, FeatureTree.Entry e, FeatureStore fs, int clip,
      RegionSelector selector, float[] clipRegions, float[] clipMask) {
    int slots = regions * selector.regionDim();
    int[] picked = FrameSampler.uniform().sample(e.numFrames(), frames, null);
    for (int f = 0; f < picked.length; f++) {
      if (fromTree) {
        Path file = tree.frameFile(e, picked[f]);
        selector.select(BottomUpNpz.read(file), file, clipRegions, f * slots, clipMask, f * regions);
      } else {
        fs.readFrame(clip, picked[f], regions, clipRegions, f * slots, clipMask, f * regions);
      }
    }
  }

  private static Map<String, Object> source(int clips, double[] seconds, double[] cpu, long bytes) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("clipsPerSecond", round(clips / Arrays.stream(seconds).min().orElseThrow()));
    m.put("medianClipsPerSecond", round(clips / median(seconds)));
    m.put("firstPassClipsPerSecond", round(clips / seconds[0]));
    List<Double> all = new ArrayList<>();
    for (double s : seconds) {
      all.add(Math.round(s * 1e4) / 1e4);
    }
    m.put("passSeconds", all);
    m.put("clipsPerCpuSecond", round(clips / median(cpu)));
    List<Double> allCpu = new ArrayList<>();
    for (double s : cpu) {
      allCpu.add(Math.round(s * 1e4) / 1e4);
    }
    m.put("passCpuSeconds", allCpu);
    m.put("bytesOnDisk", bytes);
    return m;
  }

  /** CPU time of the whole JVM (reader, GC and JIT threads), or -1 where the platform does not tell. */
  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static long bytesOf(FeatureTree tree, List<FeatureTree.Entry> entries) throws IOException {
    long total = 0;
    for (FeatureTree.Entry e : entries) {
      for (int k = 0; k < e.numFrames(); k++) {
        total += Files.size(tree.frameFile(e, k));
      }
    }
    return total;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
