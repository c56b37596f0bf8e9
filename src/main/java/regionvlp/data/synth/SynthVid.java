package regionvlp.data.synth;

import regionvlp.data.AtomicFiles;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import regionvlp.data.BottomUpNpz;
import regionvlp.data.FrameFeatures;

/**
 * SynthVid, the embedded default corpus: synthetic videos in the real bottom-up-attention layout whose captions
 * are determined by the region features (class, colour, size) and box trajectories (motion), generated in
 * confusable groups so that a bag-of-objects oracle stays at or below 1/groupSize R@1.
 *
 * <p>Layout: {@code outDir/features/<video_id>/{k}.npz}, {@code train.tsv}, {@code val.tsv}, {@code test.tsv}
 * (headerless {@code caption<TAB>video_id}) and {@code synth.json}, written last: its presence marks a complete
 * corpus. Training videos are generated in groups too, which gives the learner hard negatives.
 */
public final class SynthVid {
  /** Version of the on-disk layout recorded in synth.json. */
  public static final int FORMAT_VERSION = 1;

  /**
   * How the corpus is laid out on disk.
   *
   * <ul>
   *   <li>{@code FOLDER}: {@code features/<split>_NNNNNN/<k>.npz} and headerless {@code train.tsv},
   *       {@code val.tsv}, {@code test.tsv} of {@code caption<TAB>video_id} (the generic layout).
   *   <li>{@code MSRVTT}: Frozen-in-Time's MSR-VTT layout, read by the {@code msrvtt} dataset reader: videos
   *       {@code video0, video1, ...} (train, then val, then test) in {@code features/videoN/<k>.npz};
   *       {@code annotation/MSR_VTT.json} with every caption; {@code high-quality/structured-symlinks/}
   *       {@code train_list_jsfusion.txt} (the train videos), {@code val_list_jsfusion.txt} (the test videos,
   *       the 1k-A role) and {@code jsfusion_val_caption_idx.pkl} (caption 0 of each test video). The val
   *       videos are in the annotations and features but in neither list, as the 1k-A protocol validates on
   *       its test list.
   *   <li>{@code WEBVID}: the WebVid layout read by the {@code webvid} reader: train videos in
   *       {@code features/train/<page_dir>/<videoid>/<k>.npz}, val and test videos under {@code features/val/};
   *       {@code webvid_training_success_full.tsv} lists the train videos and
   *       {@code webvid_validation_success_full.tsv} the test videos (headerless caption<TAB>page_dir/videoid,
   *       one caption per video as in WebVid: the first). {@code page_dir} groups 50 videos
   *       ({@code 000000_000049}), {@code videoid} is a 10-digit number.
   *   <li>{@code CC3M}: the CC3M layout read by the {@code cc3m} reader, each video's frame 0 as the image:
   *       {@code features/{train|val}/<bucket>/<row>_<hash>_1.npz} (every fourth image as {@code _0.npz}, the
   *       reader's fallback name), {@code bucket} = the row number zero-padded to 7 digits, first 4;
   *       {@code cc3m_{training,validation}_success_full.tsv} as for WebVid (train rows, then test rows).
   * </ul>
   *
   * <p>In the WebVid and CC3M layouts the val videos are written but listed in no file, as in the MSR-VTT
   * layout; evaluating them with {@code --split test} (or {@code val}) reads the validation file.
   */
  public enum Layout {
    FOLDER,
    MSRVTT,
    WEBVID,
    CC3M
  }

  /** Progress callback, called from worker threads one at a time. */
  @FunctionalInterface
  public interface Progress {
    /** {@code done} of {@code total} videos written. */
    void update(long done, long total);

    /** A callback that does nothing. */
    static Progress none() {
      return (d, t) -> { };
    }
  }

  private static final Object CACHE_LOCK = new Object();
  private static SynthWorld cached;

  private SynthVid() {}

  /** The world of {@code cfg}; the last one is cached (prototypes are the costly part). */
  public static SynthWorld world(SynthConfig cfg) {
    synchronized (CACHE_LOCK) {
      if (cached == null || !cached.config().equals(cfg)) {
        cached = new SynthWorld(cfg);
      }
      return cached;
    }
  }

  /** Video (split, index) of the corpus {@code cfg}, in memory. Pure: same arguments give equal videos. */
  public static SynthVideo video(SynthConfig cfg, Split split, int index) {
    return world(cfg).video(split, index);
  }

  /** Writes one frame file; {@link BottomUpNpz#write} in production. */
  @FunctionalInterface
  public interface FrameWriter {
    /** Writes {@code frame} to {@code file} atomically. */
    void write(Path file, FrameFeatures frame, boolean compressed);
  }

  /** Generates the whole corpus into {@code outDir} with {@code cfg.threads()} writer threads. */
  public static SynthReport generate(SynthConfig cfg, Path outDir, Progress progress) {
    return generate(cfg, outDir, progress, BottomUpNpz::write);
  }

  /** As {@link #generate(SynthConfig, Path, Progress)}, with the frame writer supplied (tests, converters). */
  public static SynthReport generate(SynthConfig cfg, Path outDir, Progress progress, FrameWriter writer) {
    return generate(cfg, outDir, progress, writer, Layout.FOLDER);
  }

  /** As {@link #generate(SynthConfig, Path, Progress)}, in the given layout. */
  public static SynthReport generate(SynthConfig cfg, Path outDir, Progress progress, Layout layout) {
    return generate(cfg, outDir, progress, BottomUpNpz::write, layout);
  }

  /** Generates the corpus with the frame writer and layout supplied. */
  public static SynthReport generate(SynthConfig cfg, Path outDir, Progress progress, FrameWriter writer,
      Layout layout) {
    long t0 = System.nanoTime();
    SynthWorld world = new SynthWorld(cfg);
    try {
      Files.createDirectories(outDir.resolve("features"));
      Files.deleteIfExists(outDir.resolve("synth.json")); // completion marker of any previous run
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + outDir, e);
    }
    long total = 0;
    for (Split s : Split.values()) {
      total += world.count(s);
    }
    Map<Split, List<String>[]> rows = new LinkedHashMap<>();
    List<Set<Integer>> testClasses = new ArrayList<>();
    AtomicLong done = new AtomicLong();
    AtomicLong written = new AtomicLong();
    Object progressLock = new Object();
    final long grand = total;
    ExecutorService pool = Executors.newFixedThreadPool(cfg.threads());
    try {
      for (Split s : Split.values()) {
        int n = world.count(s);
        @SuppressWarnings({"unchecked", "rawtypes"})
        List<String>[] perVideo = new List[n];
        rows.put(s, perVideo);
        List<Future<?>> futures = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          final int idx = i;
          futures.add(pool.submit(() -> {
            SynthVideo v = world.video(s, idx);
            String id = switch (layout) {
              case MSRVTT -> msrvttId(world, s, idx);
              case WEBVID -> webvidId(world, s, idx);
              case CC3M -> cc3mId(world, s, idx, cfg.seed());
              case FOLDER -> v.id();
            };
            Path features = outDir.resolve("features");
            if (layout == Layout.WEBVID || layout == Layout.CC3M) {
              features = features.resolve(s == Split.TRAIN ? "train" : "val");
            }
            Path dir = layout == Layout.CC3M ? features.resolve(cc3mBucket(id)) : features.resolve(id);
            try {
              Files.createDirectories(dir);
            } catch (IOException e) {
              throw new UncheckedIOException("cannot create " + dir, e);
            }
            List<FrameFeatures> frames = v.frames();
            if (layout == Layout.CC3M) {
              // The image: frame 0, under the name the reader tries first (_1) or its fallback (_0).
              int row = Integer.parseInt(id.substring(0, id.indexOf('_')));
              writer.write(dir.resolve(id + (row % 4 == 3 ? "_0" : "_1") + ".npz"), frames.get(0), cfg.compressed());
              written.incrementAndGet();
            } else {
              for (int k = 0; k < frames.size(); k++) {
                writer.write(dir.resolve(k + ".npz"), frames.get(k), cfg.compressed());
              }
              written.addAndGet(frames.size());
            }
            List<String> lines = new ArrayList<>();
            for (String c : v.captions()) {
              lines.add(c.replace('\t', ' ').replace('\n', ' ') + "\t" + id);
            }
            perVideo[idx] = lines;
            long d = done.incrementAndGet();
            synchronized (progressLock) {
              progress.update(d, grand);
            }
            return null;
          }));
        }
        for (Future<?> f : futures) {
          f.get();
        }
        if (s == Split.TEST) {
          for (int i = 0; i < n; i++) {
            testClasses.add(world.spec(s, i).classSet());
          }
        }
      }
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("SynthVid generation failed: " + c, c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("SynthVid generation interrupted", e);
    } finally {
      pool.shutdownNow();
    }
    // oracle on the test captions as written
    List<String> testCaps = new ArrayList<>();
    int[] gt = new int[world.count(Split.TEST)];
    for (int i = 0; i < gt.length; i++) {
      String line = rows.get(Split.TEST)[i].get(0);
      testCaps.add(line.substring(0, line.lastIndexOf('\t')));
      gt[i] = i;
    }
    BagOfObjectsOracle.Result oracle = BagOfObjectsOracle.evaluate(world.parser(), testCaps, gt, testClasses);
    int trainCaptions = 0;
    for (List<String> l : rows.get(Split.TRAIN)) {
      trainCaptions += l.size();
    }
    if (layout == Layout.MSRVTT) {
      writeMsrVtt(outDir, rows);
    } else if (layout == Layout.WEBVID || layout == Layout.CC3M) {
      String prefix = layout == Layout.WEBVID ? "webvid" : "cc3m";
      writeAtomically(outDir.resolve(prefix + "_training_success_full.tsv"), firstCaptions(rows.get(Split.TRAIN)));
      writeAtomically(outDir.resolve(prefix + "_validation_success_full.tsv"), firstCaptions(rows.get(Split.TEST)));
    } else {
      for (Split s : Split.values()) {
        StringBuilder sb = new StringBuilder();
        for (List<String> l : rows.get(s)) {
          for (String line : l) {
            sb.append(line).append('\n');
          }
        }
        writeAtomically(outDir.resolve(s.id() + ".tsv"), sb.toString());
      }
    }
    long frames = written.get();
    double seconds = (System.nanoTime() - t0) / 1e9;
    SynthReport report = new SynthReport(outDir, world.count(Split.TRAIN), world.count(Split.VAL),
        world.count(Split.TEST), trainCaptions, frames, world.skippedCaptions(), world.unusedCaptions(),
        oracle, seconds);
    writeAtomically(outDir.resolve("synth.json"), json(cfg, world, report, layout));
    return report;
  }

  /** {@code video<n>}: train videos first, then val, then test. */
  static String msrvttId(SynthWorld world, Split split, int index) {
    int offset = 0;
    for (Split s : Split.values()) {
      if (s == split) {
        break;
      }
      offset += world.count(s);
    }
    return "video" + (offset + index);
  }

  /** {@code <page_dir>/<videoid>}: pages of 50 videos numbered across the splits, 10-digit video ids. */
  static String webvidId(SynthWorld world, Split split, int index) {
    int n = offset(world, split) + index;
    int page = n / 50 * 50;
    return String.format(java.util.Locale.ROOT, "%06d_%06d/%010d", page, page + 49, 1_000_000_000L + n);
  }

  /** {@code <row>_<hash>}: the row numbered across the splits, an 8-hex-digit hash of (seed, row). */
  static String cc3mId(SynthWorld world, Split split, int index, long seed) {
    int row = offset(world, split) + index;
    long h = (seed * 0x9E3779B97F4A7C15L + row) * 0xBF58476D1CE4E5B9L;
    h ^= h >>> 29;
    return row + "_" + String.format(java.util.Locale.ROOT, "%08x", h & 0xffffffffL);
  }

  /** CC3M's bucket: {@code row.zfill(7)[:4]}. */
  static String cc3mBucket(String id) {
    String row = id.substring(0, id.indexOf('_'));
    String padded = row.length() >= 7 ? row : "0".repeat(7 - row.length()) + row;
    return padded.substring(0, 4);
  }

  private static int offset(SynthWorld world, Split split) {
    int offset = 0;
    for (Split s : Split.values()) {
      if (s == split) {
        break;
      }
      offset += world.count(s);
    }
    return offset;
  }

  /** One row per video, its first caption (WebVid and CC3M have one caption per item). */
  private static String firstCaptions(List<String>[] perVideo) {
    StringBuilder sb = new StringBuilder();
    for (List<String> l : perVideo) {
      sb.append(l.get(0)).append('\n');
    }
    return sb.toString();
  }

  /** MSR_VTT.json, the jsfusion lists and the caption index, from the per-video "caption\tid" rows. */
  private static void writeMsrVtt(Path outDir, Map<Split, List<String>[]> rows) {
    List<Map<String, Object>> annotations = new ArrayList<>();
    List<Map<String, Object>> videos = new ArrayList<>();
    StringBuilder trainList = new StringBuilder();
    StringBuilder testList = new StringBuilder();
    Map<String, Object> captionIndex = new LinkedHashMap<>();
    for (Split s : Split.values()) {
      for (List<String> perVideo : rows.get(s)) {
        String id = null;
        for (String line : perVideo) {
          int tab = line.lastIndexOf('\t');
          id = line.substring(tab + 1);
          Map<String, Object> a = new LinkedHashMap<>();
          a.put("caption", line.substring(0, tab));
          a.put("id", annotations.size());
          a.put("image_id", id);
          annotations.add(a);
        }
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", id);
        v.put("split", s.id());
        videos.add(v);
        if (s == Split.TRAIN) {
          trainList.append(id).append('\n');
        } else if (s == Split.TEST) {
          testList.append(id).append('\n');
          captionIndex.put(id, 0L);
        }
      }
    }
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("info", Map.of("description", "SynthVid in Frozen-in-Time's MSR-VTT layout"));
    root.put("images", videos);
    root.put("annotations", annotations);
    Path lists = outDir.resolve("high-quality").resolve("structured-symlinks");
    try {
      Files.createDirectories(outDir.resolve("annotation"));
      Files.createDirectories(lists);
      writeAtomically(outDir.resolve("annotation").resolve("MSR_VTT.json"), new ObjectMapper().writeValueAsString(root));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the MSR-VTT annotation of " + outDir, e);
    }
    writeAtomically(lists.resolve("train_list_jsfusion.txt"), trainList.toString());
    writeAtomically(lists.resolve("val_list_jsfusion.txt"), testList.toString());
    AtomicFiles.write(lists.resolve("jsfusion_val_caption_idx.pkl"), regionvlp.data.PickleWriter.plain(captionIndex));
  }

  /**
   * The corpus-defining settings as written under {@code "config"} in synth.json (threads excluded: they
   * do not change a byte), so a caller can tell whether an existing corpus matches a request.
   */
  public static Map<String, Object> configMap(SynthConfig cfg) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("seed", cfg.seed());
    c.put("trainVideos", cfg.trainVideos());
    c.put("valVideos", cfg.valVideos());
    c.put("testVideos", cfg.testVideos());
    c.put("framesPerVideo", cfg.framesPerVideo());
    c.put("featureDim", cfg.featureDim());
    c.put("captionsPerTrainVideo", cfg.captionsPerTrainVideo());
    c.put("groupSize", cfg.groupSize());
    c.put("vocabFile", cfg.vocabFile() == null ? null : cfg.vocabFile().toString());
    c.put("captionsFile", cfg.captionsFile() == null ? null : cfg.captionsFile().toString());
    c.put("compressed", cfg.compressed());
    return c;
  }

  static String json(SynthConfig cfg, SynthWorld world, SynthReport r, Layout layout) {
    Map<String, Object> c = configMap(cfg);
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("train", r.trainVideos());
    counts.put("val", r.valVideos());
    counts.put("test", r.testVideos());
    counts.put("trainCaptions", r.trainCaptions());
    counts.put("frameFiles", r.frameFiles());
    counts.put("vocabularyClasses", world.vocab().size());
    counts.put("skippedCaptions", r.skippedCaptions());
    counts.put("unusedCaptions", r.unusedCaptions());
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("t2vR1", r.oracle().r1());
    o.put("t2vR5", r.oracle().r5());
    o.put("t2vR10", r.oracle().r10());
    o.put("ties", "uniform random in expectation");
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("format", "synthvid");
    root.put("formatVersion", FORMAT_VERSION);
    root.put("layout", layout.name().toLowerCase(java.util.Locale.ROOT));
    root.put("config", c);
    root.put("vocabulary", world.vocab().source());
    root.put("attrIds", "colour ordinal + 1 (red..gray), 0 for stuff");
    root.put("counts", counts);
    root.put("bagOfObjectsOracle", o);
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeAtomically(Path target, String content) {
    AtomicFiles.writeString(target, content);
  }
}
