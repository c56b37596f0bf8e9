package regionvlp.features;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import regionvlp.data.BottomUpNpz;
import regionvlp.data.FeatureStore;
import regionvlp.data.FeatureStoreManifest;
import regionvlp.data.FeatureStoreWriter;
import regionvlp.data.FeatureTree;
import regionvlp.data.InvalidInputFileException;

/**
 * {@code features convert}: a raw feature tree ({@link FeatureTree}) to a {@link FeatureStore}. Every frame
 * of every clip is read ({@link BottomUpNpz}) and reduced by {@link RegionSelector} to the {@code [R, D+6]}
 * block training uses, so the store holds exactly what the tree would give at read time; frame sampling
 * still happens at read time, since all K frames are kept.
 *
 * <p>Frames are decoded on {@code threads} background threads, a bounded window ahead of the writer, and
 * written in key order. Bad clips (a folder with a numbering gap, a truncated or malformed npz, a wrong
 * feature dim, a NaN confidence) stop the conversion with the file named, or with {@code skipBad} are left
 * out and listed in the manifest. An interrupted conversion resumes at the first unfinished shard when run
 * again with the same options ({@link FeatureStoreWriter}).
 */
public final class StoreConverter {
  private StoreConverter() {}

  /**
   * @param dtype storage type
   * @param numRegions R kept per frame (30 in DemoVLP)
   * @param featureDim D required of every frame, or 0 to take it from the first frame
   * @param maxShardBytes shard size bound (below 2 GiB)
   * @param threads decoding threads (>= 1)
   * @param skipBad leave bad clips out instead of failing
   */
  public record Options(FeatureStore.DType dtype, int numRegions, int featureDim, long maxShardBytes, int threads,
      boolean skipBad) {
    public Options {
      Objects.requireNonNull(dtype, "dtype");
      if (numRegions < 1) {
        throw new IllegalArgumentException("--regions must be >= 1, found " + numRegions);
      }
      if (featureDim < 0) {
        throw new IllegalArgumentException("featureDim must be >= 0, found " + featureDim);
      }
      if (threads < 1) {
        throw new IllegalArgumentException("--threads must be >= 1, found " + threads);
      }
    }
  }

  /** What a conversion did. */
  public record Report(Path store, FeatureStoreManifest manifest, int resumedShards, int shardsPlanned,
      double seconds) {}

  /** Told (clips done, clips to do) after each clip of this run. */
  @FunctionalInterface
  public interface Progress {
    void update(int done, int total);
  }

  /**
   * Converts {@code from} into the new (or resumable) store folder {@code to}.
   *
   * @param log receives a line about the plan and any skipped clip
   * @throws InvalidInputFileException naming the bad file, unless {@code skipBad}
   * @throws IllegalArgumentException when {@code to} holds something else than an unfinished conversion of
   *     the same plan
   */
  public static Report convert(Path from, Path to, Options options, Consumer<String> log, Progress progress) {
    long t0 = System.nanoTime();
    FeatureTree tree = FeatureTree.scan(from);
    List<FeatureTree.Entry> entries = tree.entries();
    List<FeatureStoreManifest.Skipped> scanProblems = new ArrayList<>();
    if (!tree.problems().isEmpty()) {
      if (!options.skipBad()) {
        FeatureTree.Problem p = tree.problems().get(0);
        throw new InvalidInputFileException(from, tree.problems().size() + " clip folder(s) cannot be used, e.g. "
            + p.reason() + "; fix them or pass --skip-bad to leave them out");
      }
      for (FeatureTree.Problem p : tree.problems()) {
        log.accept("skipping " + p.key() + ": " + p.reason());
        scanProblems.add(new FeatureStoreManifest.Skipped(p.key(), p.reason()));
      }
    }
    if (entries.isEmpty()) {
      throw new InvalidInputFileException(from, "no clips found: expected <clip>/<k>.npz folders or <id>.npz"
          + " files under it");
    }
    int featureDim = options.featureDim() > 0 ? options.featureDim()
        : BottomUpNpz.read(tree.frameFile(entries.get(0), 0)).featureDim();
    RegionSelector selector = new RegionSelector(options.numRegions(), featureDim);
    List<FeatureStoreWriter.Clip> clips = new ArrayList<>(entries.size());
    long frames = 0;
    for (FeatureTree.Entry e : entries) {
      clips.add(new FeatureStoreWriter.Clip(e.key(), e.numFrames()));
      frames += e.numFrames();
    }
    FeatureStoreWriter writer = FeatureStoreWriter.open(to, clips, new FeatureStoreWriter.Options(options.dtype(),
        options.numRegions(), featureDim, options.maxShardBytes(), options.skipBad(), from.toString()));
    log.accept(String.format(Locale.ROOT, "convert: %d clips, %d frames, D=%d, R=%d, %s -> %s in %d shard(s)%s",
        clips.size(), frames, featureDim, options.numRegions(), options.dtype().numpyName(), to,
        writer.numShards(), writer.resumedShards() > 0
            ? String.format(Locale.ROOT, " (resuming: %d already written)", writer.resumedShards()) : ""));

    writer.addSkipped(scanProblems);
    int[] pending = writer.pendingClips();
    ExecutorService pool = Executors.newFixedThreadPool(options.threads(), r -> {
      Thread t = new Thread(r, "convert-reader");
      t.setDaemon(true);
      return t;
    });
    try {
      ArrayDeque<Future<FeatureStoreWriter.Rows>> window = new ArrayDeque<>();
      int ahead = 4 * options.threads();
      int[] submitted = {0};
      Runnable fill = () -> {
        while (window.size() < ahead && submitted[0] < pending.length) {
          FeatureTree.Entry e = entries.get(pending[submitted[0]++]);
          window.add(pool.submit(() -> readClip(tree, e, selector)));
        }
      };
      int[] done = {0};
      FeatureStoreManifest m = writer.write(clip -> {
        fill.run();
        Future<FeatureStoreWriter.Rows> f = window.poll();
        try {
          return f.get();
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while converting", ex);
        } catch (ExecutionException ex) {
          if (ex.getCause() instanceof InvalidInputFileException
              || ex.getCause() instanceof IllegalArgumentException) {
            if (options.skipBad()) {
              log.accept("skipping " + clips.get(clip).key() + ": " + ex.getCause().getMessage());
            }
            throw (RuntimeException) ex.getCause();
          }
          throw new IllegalStateException("reading " + clips.get(clip).key() + " failed: " + ex.getCause(),
              ex.getCause());
        }
      }, clip -> progress.update(++done[0], pending.length));
      return new Report(to, m, writer.resumedShards(), writer.numShards(), (System.nanoTime() - t0) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  /** All K frames of one entry, selected. */
  static FeatureStoreWriter.Rows readClip(FeatureTree tree, FeatureTree.Entry e, RegionSelector selector) {
    int k = e.numFrames();
    int rowLen = selector.maxRegions() * selector.regionDim();
    float[] regions = new float[Math.multiplyExact(k, rowLen)];
    float[] mask = new float[selector.maxRegions()];
    int[] valid = new int[k];
    for (int f = 0; f < k; f++) {
      Path file = tree.frameFile(e, f);
      valid[f] = selector.select(BottomUpNpz.read(file), file, regions, f * rowLen, mask, 0);
    }
    return new FeatureStoreWriter.Rows(regions, valid);
  }
}
