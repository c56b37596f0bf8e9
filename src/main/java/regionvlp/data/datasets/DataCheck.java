package regionvlp.data.datasets;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import regionvlp.data.ClipFaultException;
import regionvlp.data.ClipSource;
import regionvlp.data.DataFault;
import regionvlp.data.FrameCheck;

/**
 * {@code regionvlp data check}: reads every frame file of every clip of a split and classifies each clip as
 * ok or by its first fault (missing, corrupt, too few frames, wrong feature width, NaN/Inf), and lists the
 * metadata rows that could not be used (non-UTF-8 or empty caption, malformed row).
 */
public final class DataCheck {
  private DataCheck() {}

  /**
   * The outcome.
   *
   * @param split what was checked
   * @param need the sampling setup the frame counts were checked against
   * @param featureDim the expected feature width
   * @param okClips clips whose every frame file was read and passed
   * @param clipFaults one fault per bad clip, in clip order
   * @param framesRead frame files read
   */
  public record Report(SplitIndex split, FrameNeed need, int featureDim, int okClips, List<DataFault> clipFaults,
      long framesRead) {
    /** True when no clip and no row is bad. */
    public boolean clean() {
      return clipFaults.isEmpty() && split.rowFaults().isEmpty();
    }

    /** The JSON report. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("dataset", split.dataset());
      m.put("split", split.split());
      m.put("meta", split.metaFiles().stream().map(Object::toString).toList());
      m.putAll(split.protocol());
      m.put("frames", need.frames());
      m.put("faithfulSampling", need.faithfulSampling());
      m.put("featureDim", featureDim);
      m.put("clips", split.videos().size());
      m.put("captions", split.captions().size());
      m.put("framesRead", framesRead);
      m.put("ok", okClips);
      Map<DataFault.Kind, Integer> counts = new EnumMap<>(DataFault.Kind.class);
      for (DataFault.Kind k : DataFault.Kind.values()) {
        counts.put(k, 0);
      }
      clipFaults.forEach(f -> counts.merge(f.kind(), 1, Integer::sum));
      split.rowFaults().forEach(f -> counts.merge(f.kind(), 1, Integer::sum));
      for (DataFault.Kind k : DataFault.Kind.values()) {
        if (!k.isCaptionFault()) {
          m.put(k.key(), counts.get(k));
        }
      }
      Map<String, Object> rows = new LinkedHashMap<>();
      for (DataFault.Kind k : DataFault.Kind.values()) {
        if (k.isCaptionFault()) {
          rows.put(k.key(), counts.get(k));
        }
      }
      m.put("captionFaults", rows);
      List<Map<String, Object>> all = new ArrayList<>();
      clipFaults.forEach(f -> all.add(f.toJson()));
      split.rowFaults().forEach(f -> all.add(f.toJson()));
      m.put("faults", all);
      return m;
    }
  }

  /**
   * Checks metadata only (no feature file is opened): the clip faults list stays empty and {@code ok} counts
   * every clip as unchecked-but-listed.
   */
  public static Report metaOnly(SplitIndex split, FrameNeed need, int featureDim) {
    return new Report(split, need, featureDim, 0, List.of(), 0);
  }

  /**
   * Reads every clip.
   *
   * @param threads reader threads
   * @param progress told the number of clips done (from worker threads, one call at a time), may be null
   */
  public static Report run(SplitIndex split, FrameNeed need, int featureDim, int threads, LongConsumer progress) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, found " + threads);
    }
    List<SplitIndex.Video> videos = split.videos();
    DataFault[] faults = new DataFault[videos.size()];
    AtomicLong frames = new AtomicLong();
    AtomicLong done = new AtomicLong();
    Object lock = new Object();
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "data-check");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> futures = new ArrayList<>();
      int chunk = Math.max(1, videos.size() / (threads * 8));
      for (int start = 0; start < videos.size(); start += chunk) {
        int from = start;
        int to = Math.min(videos.size(), start + chunk);
        futures.add(pool.submit(() -> {
          for (int v = from; v < to; v++) {
            faults[v] = checkClip(videos.get(v), need, featureDim, split.allFramesWhenEqual(), frames);
            long d = done.incrementAndGet();
            if (progress != null) {
              synchronized (lock) {
                progress.accept(d);
              }
            }
          }
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("data check failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("data check interrupted", e);
    } finally {
      pool.shutdownNow();
    }
    List<DataFault> bad = new ArrayList<>();
    for (DataFault f : faults) {
      if (f != null) {
        bad.add(f);
      }
    }
    return new Report(split, need, featureDim, videos.size() - bad.size(), bad, frames.get());
  }

  /** The first fault of one clip, or null when every frame file reads and passes. */
  static DataFault checkClip(SplitIndex.Video v, FrameNeed need, int featureDim, boolean allFramesWhenEqual,
      AtomicLong frames) {
    int k;
    try {
      k = v.source().countFrames();
    } catch (ClipFaultException e) {
      return e.toFault(v.id());
    }
    for (int i = 0; i < k; i++) {
      try {
        FrameCheck.read(v.source().frameFile(i), featureDim);
        frames.incrementAndGet();
      } catch (ClipFaultException e) {
        return e.toFault(v.id());
      }
    }
    String shortfall = k == 1 && v.source() instanceof ClipSource.SingleImage ? null
        : need.shortfall(k, allFramesWhenEqual);
    return shortfall == null ? null
        : new DataFault(DataFault.Kind.TOO_FEW_FRAMES, v.id(), v.source().location().toString(), shortfall);
  }
}
