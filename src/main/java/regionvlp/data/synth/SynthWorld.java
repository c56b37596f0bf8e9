package regionvlp.data.synth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import regionvlp.data.FrameFeatures;
import regionvlp.data.InvalidInputFileException;

/**
 * The generator state shared by all videos of one corpus: vocabulary, class prototypes, attribute directions,
 * the (optional) parsed captions file and the per-split group layout. {@link #video(Split, int)} is a pure
 * function of (seed, split, index) and is safe to call from many threads.
 *
 * <p>Feature model: a region's instance vector is {@code prototype[class] + colour + size + N(0, 0.25)}, fixed
 * for the video; each frame adds fresh noise N(0, 0.6) (comparable to a colour direction, whose entries are
 * N(0, 0.6)) and applies ReLU around an offset of 0.3, like post-ReLU mean-pooled RoI features. Prototypes are
 * N(0, 1), size directions N(0, 0.4) (SMALL and BIG; NONE adds nothing).
 */
public final class SynthWorld {
  static final double PROTO_SD = 1.0;
  static final double COLOUR_SD = 0.6;
  static final double SIZE_SD = 0.4;
  static final double INSTANCE_SD = 0.25;
  static final double NOISE_SD = 0.6;
  static final double OFFSET = 0.3;
  static final int MIN_BOXES = 12;
  static final int MAX_BOXES = 45;
  static final int MAX_CAPTION_OBJECTS = 5;
  private static final int[][] IMAGE_SIZES = {{640, 360}, {640, 480}, {1280, 720}, {480, 360}};

  private final SynthConfig cfg;
  private final SynthVocab vocab;
  private final CaptionParser parser;
  private final float[][] proto;
  private final float[][] stuffProto;
  private final float[][] colourDir;
  private final float[][] sizeDir;
  private final Map<Split, int[]> slotOf = new EnumMap<>(Split.class);
  private final Map<Split, Integer> counts = new EnumMap<>(Split.class);
  private final Map<Split, List<CaptionRow>> captionRows = new EnumMap<>(Split.class);
  private final int skippedCaptions;
  private final int unusedCaptions;

  /** A captions-file row that names at least one vocabulary noun. */
  record CaptionRow(String text, List<CaptionParser.Mention> mentions) {}

  /** Builds the world for {@code cfg}: loads the vocabulary (and captions file), draws the prototypes. */
  public SynthWorld(SynthConfig cfg) {
    this.cfg = cfg;
    this.vocab = SynthVocab.of(cfg.vocabFile());
    this.parser = new CaptionParser(vocab);
    int d = cfg.featureDim();
    proto = new float[vocab.size()][];
    for (int c = 0; c < vocab.size(); c++) {
      proto[c] = gaussian(new SplittableRandom(mix(cfg.seed(), 11, c)), d, PROTO_SD);
    }
    stuffProto = new float[SynthVocab.STUFF.size()][];
    for (int s = 0; s < stuffProto.length; s++) {
      int c = vocab.stuffClass(s);
      stuffProto[s] = c >= 0 ? proto[c] : gaussian(new SplittableRandom(mix(cfg.seed(), 12, s)), d, PROTO_SD);
    }
    colourDir = new float[Colour.values().length][];
    for (Colour c : Colour.values()) {
      colourDir[c.ordinal()] = gaussian(new SplittableRandom(mix(cfg.seed(), 13, c.ordinal())), d, COLOUR_SD);
    }
    sizeDir = new float[Size.values().length][];
    for (Size s : Size.values()) {
      sizeDir[s.ordinal()] = s == Size.NONE ? new float[d]
          : gaussian(new SplittableRandom(mix(cfg.seed(), 14, s.ordinal())), d, SIZE_SD);
    }
    if (cfg.captionsFile() == null) {
      for (Split s : Split.values()) {
        counts.put(s, s.count(cfg));
      }
      skippedCaptions = 0;
      unusedCaptions = 0;
    } else {
      int[] skipped = {0};
      List<CaptionRow> usable = readCaptions(cfg.captionsFile(), skipped);
      skippedCaptions = skipped[0];
      long total = (long) cfg.trainVideos() + cfg.valVideos() + cfg.testVideos();
      int nTrain;
      int nVal;
      int nTest;
      if (usable.size() >= total) {
        nTrain = cfg.trainVideos();
        nVal = cfg.valVideos();
        nTest = cfg.testVideos();
      } else {
        nTest = (int) Math.round((double) usable.size() * cfg.testVideos() / total);
        nVal = (int) Math.round((double) usable.size() * cfg.valVideos() / total);
        nTrain = usable.size() - nTest - nVal;
      }
      unusedCaptions = usable.size() - nTrain - nVal - nTest;
      captionRows.put(Split.TRAIN, usable.subList(0, nTrain));
      captionRows.put(Split.VAL, usable.subList(nTrain, nTrain + nVal));
      captionRows.put(Split.TEST, usable.subList(nTrain + nVal, nTrain + nVal + nTest));
      for (Split s : Split.values()) {
        counts.put(s, captionRows.get(s).size());
      }
    }
    for (Split s : Split.values()) {
      slotOf.put(s, shuffledSlots(counts.get(s), new SplittableRandom(mix(cfg.seed(), 21, s.ordinal()))));
    }
  }

  private List<CaptionRow> readCaptions(Path file, int[] skipped) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read captions TSV: " + e, e);
    }
    List<CaptionRow> out = new ArrayList<>();
    for (String line : lines) {
      String text = line.split("\t", 2)[0].strip();
      if (text.isEmpty()) {
        continue;
      }
      Map<Integer, CaptionParser.Mention> byClass = new LinkedHashMap<>();
      for (CaptionParser.Mention m : parser.parse(text)) {
        if (byClass.size() < MAX_CAPTION_OBJECTS) {
          byClass.putIfAbsent(m.classIndex(), m);
        }
      }
      if (byClass.isEmpty()) {
        skipped[0]++;
      } else {
        out.add(new CaptionRow(text, List.copyOf(byClass.values())));
      }
    }
    return out;
  }

  /** The configuration. */
  public SynthConfig config() {
    return cfg;
  }

  /** The vocabulary. */
  public SynthVocab vocab() {
    return vocab;
  }

  /** The caption parser for this vocabulary. */
  public CaptionParser parser() {
    return parser;
  }

  /** Number of videos in {@code split} (captions-file mode: the captions assigned to it). */
  public int count(Split split) {
    return counts.get(split);
  }

  /** Captions-file mode: rows that named no vocabulary noun (0 in grammar mode). */
  public int skippedCaptions() {
    return skippedCaptions;
  }

  /** Captions-file mode: usable rows beyond train + val + test (0 in grammar mode). */
  public int unusedCaptions() {
    return unusedCaptions;
  }

  /** Video id of (split, index), e.g. {@code test_000007}. */
  public static String videoId(Split split, int index) {
    return split.id() + "_" + String.format(Locale.ROOT, "%06d", index);
  }

  // ---------------------------------------------------------------------------------------------------------
  // groups

  private static int[] shuffledSlots(int n, SplittableRandom rng) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  private int groupCount(Split split) {
    return Math.max(1, count(split) / cfg.groupSize());
  }

  /** Group of video (split, index); the last group absorbs the remainder so no group is smaller than groupSize. */
  public int groupOf(Split split, int index) {
    return Math.min(slotOf.get(split)[index] / cfg.groupSize(), groupCount(split) - 1);
  }

  private int memberOf(Split split, int index) {
    return slotOf.get(split)[index] - groupOf(split, index) * cfg.groupSize();
  }

  private int groupLength(Split split, int g) {
    return g < groupCount(split) - 1 ? cfg.groupSize() : count(split) - g * cfg.groupSize();
  }

  /** The specs of all members of group {@code g} (member 0 is the base scene, the others its twins). */
  List<SynthSpec> groupSpecs(Split split, int g) {
    SplittableRandom rng = new SplittableRandom(mix(cfg.seed(), 31, split.ordinal(), g));
    SynthSpec base = randomSpec(rng);
    List<SynthSpec> specs = new ArrayList<>();
    specs.add(base);
    int len = groupLength(split, g);
    int attempts = 0;
    while (specs.size() < len) {
      SynthSpec twin = mutate(base, rng);
      if (!specs.contains(twin)) {
        specs.add(twin);
      } else if (++attempts > 10_000) {
        throw new IllegalStateException("cannot find " + len + " distinct twins for group " + g);
      }
    }
    return specs;
  }

  private SynthSpec randomSpec(SplittableRandom rng) {
    double u = rng.nextDouble();
    int n = u < 0.3 ? 1 : u < 0.7 ? 2 : 3;
    Set<Integer> used = new HashSet<>();
    List<SynthObject> objs = new ArrayList<>();
    while (objs.size() < n) {
      int c = vocab.thing(rng.nextInt(vocab.thingCount()));
      if (used.add(c)) {
        objs.add(new SynthObject(c, pick(Colour.values(), rng), randomSize(rng), pick(Motion.values(), rng)));
      }
    }
    return new SynthSpec(objs);
  }

  private static Size randomSize(SplittableRandom rng) {
    double u = rng.nextDouble();
    return u < 0.5 ? Size.NONE : u < 0.75 ? Size.SMALL : Size.BIG;
  }

  private enum Mutation { SWAP_COLOURS, RECOLOUR, MOTION, SIZE }

  private static SynthSpec mutate(SynthSpec base, SplittableRandom rng) {
    List<SynthObject> o = new ArrayList<>(base.objects());
    int n = o.size();
    boolean canSwap = o.stream().map(SynthObject::colour).distinct().count() > 1;
    Mutation m;
    do {
      m = pick(Mutation.values(), rng);
    } while (m == Mutation.SWAP_COLOURS && !canSwap);
    int i = rng.nextInt(n);
    switch (m) {
      case SWAP_COLOURS -> {
        int j;
        do {
          i = rng.nextInt(n);
          j = rng.nextInt(n);
        } while (o.get(i).colour() == o.get(j).colour());
        Colour ci = o.get(i).colour();
        o.set(i, o.get(i).withColour(o.get(j).colour()));
        o.set(j, o.get(j).withColour(ci));
      }
      case RECOLOUR -> {
        Colour c;
        do {
          c = pick(Colour.values(), rng);
        } while (c == o.get(i).colour());
        o.set(i, o.get(i).withColour(c));
      }
      case MOTION -> {
        Motion mo;
        do {
          mo = pick(Motion.values(), rng);
        } while (mo == o.get(i).motion());
        o.set(i, o.get(i).withMotion(mo));
      }
      case SIZE -> {
        Size s = switch (o.get(i).size()) {
          case NONE -> rng.nextBoolean() ? Size.SMALL : Size.BIG;
          case SMALL -> Size.BIG;
          case BIG -> Size.SMALL;
        };
        o.set(i, o.get(i).withSize(s));
      }
      default -> throw new AssertionError(m);
    }
    return new SynthSpec(o);
  }

  // ---------------------------------------------------------------------------------------------------------
  // videos

  /** The spec of video (split, index), without rendering its frames. */
  public SynthSpec spec(Split split, int index) {
    checkIndex(split, index);
    if (cfg.captionsFile() == null) {
      return groupSpecs(split, groupOf(split, index)).get(memberOf(split, index));
    }
    SplittableRandom rng = new SplittableRandom(mix(cfg.seed(), 41, split.ordinal(), index));
    List<SynthObject> objs = new ArrayList<>();
    for (CaptionParser.Mention m : captionRows.get(split).get(index).mentions()) {
      Colour c = m.colour() != null ? m.colour() : pick(Colour.values(), rng);
      Motion mo = m.motion() != null ? m.motion() : pick(Motion.values(), rng);
      objs.add(new SynthObject(m.classIndex(), c, m.size(), mo));
    }
    return new SynthSpec(objs);
  }

  private void checkIndex(Split split, int index) {
    if (index < 0 || index >= count(split)) {
      throw new IndexOutOfBoundsException(
          split.id() + " index: expected 0.." + (count(split) - 1) + ", found " + index);
    }
  }

  /** The captions of video (split, index). */
  public List<String> captions(Split split, int index, SynthSpec spec) {
    if (cfg.captionsFile() != null) {
      return List.of(captionRows.get(split).get(index).text());
    }
    SplittableRandom rng = new SplittableRandom(mix(cfg.seed(), 51, split.ordinal(), index));
    int n = split == Split.TRAIN ? cfg.captionsPerTrainVideo() : 1;
    List<String> caps = new ArrayList<>();
    int tries = 0;
    while (caps.size() < n) {
      String c = CaptionGrammar.caption(spec, vocab, rng);
      if (!caps.contains(c) || ++tries > 100) {
        caps.add(c);
      }
    }
    return caps;
  }

  /** Generates video (split, index): spec, captions and its K frames. Pure and thread-safe. */
  public SynthVideo video(Split split, int index) {
    SynthSpec spec = spec(split, index);
    String id = videoId(split, index);
    int group = cfg.captionsFile() == null ? groupOf(split, index) : -1;
    SplittableRandom scene = new SplittableRandom(mix(cfg.seed(), 61, split.ordinal(), index));
    return new SynthVideo(id, split, index, group, spec, captions(split, index, spec), render(spec, scene));
  }

  private static final class Region {
    long objectId;
    long attrId;
    double conf;
    double attrConf;
    double presence;
    float[] instance;
    float[][] boxes;
  }

  private List<FrameFeatures> render(SynthSpec spec, SplittableRandom rng) {
    int k = cfg.framesPerVideo();
    int d = cfg.featureDim();
    int[] wh = IMAGE_SIZES[rng.nextInt(IMAGE_SIZES.length)];
    int w = wh[0];
    int h = wh[1];
    int target = MIN_BOXES + rng.nextInt(MAX_BOXES - MIN_BOXES + 1);
    Set<Integer> salient = spec.classSet();
    List<Region> regions = new ArrayList<>();
    for (SynthObject o : spec.objects()) {
      Region r = new Region();
      r.objectId = o.classIndex() + 1L;
      r.attrId = o.colour().ordinal() + 1L;
      r.conf = uniform(rng, 0.80, 0.97);
      r.attrConf = uniform(rng, 0.5, 0.95);
      r.presence = 1.0;
      r.instance = instance(proto[o.classIndex()], o.colour(), o.size(), rng);
      r.boxes = Trajectory.object(o.motion(), o.size(), w, h, k, rng);
      regions.add(r);
    }
    List<Integer> stuffTypes = new ArrayList<>();
    for (int s = 0; s < SynthVocab.STUFF.size(); s++) {
      if (!salient.contains(vocab.stuffClass(s))) {
        stuffTypes.add(s);
      }
    }
    int nStuff = Math.min(stuffTypes.size(), Math.min(3 + rng.nextInt(5), target - regions.size()));
    for (int i = 0; i < nStuff; i++) {
      int s = stuffTypes.remove(rng.nextInt(stuffTypes.size()));
      Region r = new Region();
      r.objectId = vocab.stuffClass(s) + 1L;
      r.attrId = 0;
      r.conf = uniform(rng, 0.30, 0.70);
      r.attrConf = uniform(rng, 0.3, 0.8);
      r.presence = 1.0;
      r.instance = instance(stuffProto[s], null, Size.NONE, rng);
      r.boxes = Trajectory.stuff(w, h, k, rng);
      regions.add(r);
    }
    while (regions.size() < target) {
      int c = vocab.thing(rng.nextInt(vocab.thingCount()));
      if (salient.contains(c)) {
        continue;
      }
      Colour col = pick(Colour.values(), rng);
      Region r = new Region();
      r.objectId = c + 1L;
      r.attrId = col.ordinal() + 1L;
      r.conf = uniform(rng, 0.05, 0.45);
      r.attrConf = uniform(rng, 0.1, 0.6);
      r.presence = 0.9;
      r.instance = instance(proto[c], col, randomSize(rng), rng);
      r.boxes = Trajectory.distractor(w, h, k, rng);
      regions.add(r);
    }
    // extractor box order: a fixed shuffle, not sorted by confidence
    List<Region> order = new ArrayList<>(regions);
    for (int i = order.size() - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      Region t = order.get(i);
      order.set(i, order.get(j));
      order.set(j, t);
    }
    List<FrameFeatures> frames = new ArrayList<>(k);
    for (int f = 0; f < k; f++) {
      List<Region> rows = new ArrayList<>();
      for (Region r : order) {
        if (r.presence >= 1.0 || rng.nextDouble() < r.presence) {
          rows.add(r);
        }
      }
      int n = rows.size();
      float[] feat = new float[n * d];
      float[] boxes = new float[n * 4];
      long[] ids = new long[n];
      float[] conf = new float[n];
      long[] attrIds = new long[n];
      float[] attrConf = new float[n];
      for (int i = 0; i < n; i++) {
        Region r = rows.get(i);
        for (int j = 0; j < d; j++) {
          double v = OFFSET + r.instance[j] + NOISE_SD * rng.nextGaussian();
          feat[i * d + j] = v > 0 ? (float) v : 0f;
        }
        System.arraycopy(r.boxes[f], 0, boxes, i * 4, 4);
        ids[i] = r.objectId;
        conf[i] = (float) clamp(r.conf + uniform(rng, -0.02, 0.02), 0.01, 0.995);
        attrIds[i] = r.attrId;
        attrConf[i] = (float) clamp(r.attrConf + uniform(rng, -0.03, 0.03), 0.01, 0.995);
      }
      frames.add(new FrameFeatures(Integer.toString(f), w, h, n, d, feat, boxes, ids, conf, attrIds, attrConf));
    }
    return frames;
  }

  private float[] instance(float[] prototype, Colour colour, Size size, SplittableRandom rng) {
    int d = prototype.length;
    float[] v = new float[d];
    float[] c = colour == null ? null : colourDir[colour.ordinal()];
    float[] s = sizeDir[size.ordinal()];
    for (int j = 0; j < d; j++) {
      double x = prototype[j] + s[j] + INSTANCE_SD * rng.nextGaussian();
      if (c != null) {
        x += c[j];
      }
      v[j] = (float) x;
    }
    return v;
  }

  // ---------------------------------------------------------------------------------------------------------
  // helpers

  static float[] gaussian(SplittableRandom rng, int d, double sd) {
    float[] v = new float[d];
    for (int j = 0; j < d; j++) {
      v[j] = (float) (sd * rng.nextGaussian());
    }
    return v;
  }

  static double uniform(SplittableRandom rng, double lo, double hi) {
    return lo + (hi - lo) * rng.nextDouble();
  }

  static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  static <T> T pick(T[] values, SplittableRandom rng) {
    return values[rng.nextInt(values.length)];
  }

  /** Deterministic 64-bit hash of the parts (SplitMix64 / murmur3 finaliser chain): the per-item seed. */
  static long mix(long... parts) {
    long h = 0x9E3779B97F4A7C15L;
    for (long p : parts) {
      h = fmix(h ^ fmix(p + 0x632BE59BD9B4E019L));
      h += 0x9E3779B97F4A7C15L;
    }
    return h;
  }

  private static long fmix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }
}
