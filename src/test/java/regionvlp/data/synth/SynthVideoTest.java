package regionvlp.data.synth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import regionvlp.data.FrameFeatures;

class SynthVideoTest {
  private final SynthConfig cfg = SynthTestSupport.small();

  @Test
  void sameSeedGivesIdenticalVideos() {
    SynthVideo a = new SynthWorld(cfg).video(Split.TRAIN, 7);
    SynthVideo b = new SynthWorld(cfg).video(Split.TRAIN, 7);
    assertThat(b).isEqualTo(a);
    assertThat(b.frames()).isEqualTo(a.frames());
    assertThat(b.captions()).isEqualTo(a.captions());
    assertThat(b.spec()).isEqualTo(a.spec());
    // and independent of what else was generated before (pure function of seed, split, index)
    SynthWorld w = new SynthWorld(cfg);
    w.video(Split.TEST, 3);
    assertThat(w.video(Split.TRAIN, 7)).isEqualTo(a);
  }

  @Test
  void differentSeedGivesDifferentVideos() {
    SynthVideo a = new SynthWorld(cfg).video(Split.TRAIN, 7);
    SynthVideo b = new SynthWorld(cfg.withSeed(cfg.seed() + 1)).video(Split.TRAIN, 7);
    assertThat(b.frames().get(0).features()).isNotEqualTo(a.frames().get(0).features());
    assertThat(b.captions()).isNotEqualTo(a.captions());
  }

  @Test
  void featuresAreNonNegativeAndShapesMatch() {
    SynthVideo v = new SynthWorld(cfg).video(Split.TEST, 0);
    assertThat(v.id()).isEqualTo("test_000000");
    assertThat(v.frames()).hasSize(16);
    for (FrameFeatures f : v.frames()) {
      assertThat(f.featureDim()).isEqualTo(16);
      for (float x : f.features()) {
        assertThat(x).isGreaterThanOrEqualTo(0f);
      }
      for (int r = 0; r < f.numBoxes(); r++) {
        assertThat(f.boxes()[4 * r]).isBetween(0f, (float) f.imageWidth());
        assertThat(f.boxes()[4 * r + 2]).isBetween(f.boxes()[4 * r], (float) f.imageWidth());
        assertThat(f.boxes()[4 * r + 1]).isBetween(0f, (float) f.imageHeight());
        assertThat(f.boxes()[4 * r + 3]).isBetween(f.boxes()[4 * r + 1], (float) f.imageHeight());
        assertThat(f.objectConf()[r]).isStrictlyBetween(0f, 1f);
      }
    }
    // consecutive frames differ (per-frame noise)
    assertThat(v.frames().get(1).features()).isNotEqualTo(v.frames().get(0).features());
  }

  @Test
  void groupTwinsShareClassesButDifferInBindingAndCaption() {
    SynthWorld w = new SynthWorld(cfg);
    Map<Integer, List<SynthVideo>> groups = new HashMap<>();
    for (int i = 0; i < w.count(Split.TEST); i++) {
      SynthVideo v = w.video(Split.TEST, i);
      groups.computeIfAbsent(v.group(), g -> new ArrayList<>()).add(v);
    }
    assertThat(groups).hasSize(cfg.testVideos() / cfg.groupSize());
    boolean adjacentEverywhere = true;
    for (List<SynthVideo> g : groups.values()) {
      assertThat(g).hasSizeGreaterThanOrEqualTo(2);
      SynthVideo a = g.get(0);
      for (SynthVideo b : g.subList(1, g.size())) {
        assertThat(b.spec().classMultiset()).isEqualTo(a.spec().classMultiset());
        assertThat(b.spec()).isNotEqualTo(a.spec());
        assertThat(b.captions().get(0)).isNotEqualTo(a.captions().get(0));
        if (Math.abs(b.index() - a.index()) != 1) {
          adjacentEverywhere = false;
        }
      }
    }
    assertThat(adjacentEverywhere).as("groups are shuffled apart").isFalse();
  }

  @Test
  void captionsStateExactlyTheSpec() {
    SynthWorld w = new SynthWorld(cfg);
    for (int i = 0; i < w.count(Split.TRAIN); i++) {
      SynthVideo v = w.video(Split.TRAIN, i);
      assertThat(v.captions()).hasSize(3).doesNotHaveDuplicates();
      for (String c : v.captions()) {
        List<SynthObject> parsed = new ArrayList<>();
        for (CaptionParser.Mention m : w.parser().parse(c)) {
          parsed.add(new SynthObject(m.classIndex(), m.colour(), m.size(), m.motion()));
        }
        assertThat(parsed).as(c).containsExactlyInAnyOrderElementsOf(v.spec().objects());
      }
    }
  }

  @Test
  void boxesFollowTheMotion() {
    SynthWorld w = new SynthWorld(cfg);
    Map<Motion, Integer> seen = new HashMap<>();
    for (Split s : Split.values()) {
      for (int i = 0; i < w.count(s); i++) {
        SynthVideo v = w.video(s, i);
        for (int o = 0; o < v.spec().objects().size(); o++) {
          Motion m = v.spec().objects().get(o).motion();
          float[] first = box(v, 0, o);
          float[] last = box(v, v.frames().size() - 1, o);
          int wdt = v.frames().get(0).imageWidth();
          int hgt = v.frames().get(0).imageHeight();
          double dx = cx(last) - cx(first);
          double dy = cy(last) - cy(first);
          double ar = area(last) / area(first);
          switch (m) {
            case LEFT -> assertThat(dx).isLessThan(-0.15 * wdt);
            case RIGHT -> assertThat(dx).isGreaterThan(0.15 * wdt);
            case UP -> assertThat(dy).isLessThan(-0.1 * hgt);
            case DOWN -> assertThat(dy).isGreaterThan(0.1 * hgt);
            case GROWING -> assertThat(ar).isGreaterThan(2.0);
            case SHRINKING -> assertThat(ar).isLessThan(0.5);
            case STILL -> {
              assertThat(Math.abs(dx)).isLessThan(0.05 * wdt);
              assertThat(ar).isBetween(0.8, 1.25);
            }
            default -> throw new AssertionError(m);
          }
          if (m == Motion.LEFT) {
            int decreasing = 0;
            for (int k = 1; k < v.frames().size(); k++) {
              if (cx(box(v, k, o)) < cx(box(v, k - 1, o))) {
                decreasing++;
              }
            }
            assertThat(decreasing).isGreaterThanOrEqualTo(v.frames().size() - 3);
          }
          seen.merge(m, 1, Integer::sum);
        }
      }
    }
    assertThat(seen.keySet()).containsExactlyInAnyOrder(Motion.values());
  }

  @Test
  void boxCountsStraddleThirtyAndSalientObjectsSurviveTopThirty() {
    SynthWorld w = new SynthWorld(cfg);
    int below = 0;
    int above = 0;
    boolean sortedSomewhere = false;
    for (int i = 0; i < w.count(Split.TRAIN); i++) {
      SynthVideo v = w.video(Split.TRAIN, i);
      for (int k = 0; k < v.frames().size(); k++) {
        FrameFeatures f = v.frames().get(k);
        if (f.numBoxes() < 30) {
          below++;
        } else if (f.numBoxes() > 30) {
          above++;
        }
        Integer[] order = new Integer[f.numBoxes()];
        for (int r = 0; r < order.length; r++) {
          order[r] = r;
        }
        Arrays.sort(order, (a, b) -> Float.compare(f.objectConf()[b], f.objectConf()[a]));
        List<Integer> top30 = Arrays.asList(order).subList(0, Math.min(30, order.length));
        for (int row : v.salientRows(k)) {
          assertThat(row).isGreaterThanOrEqualTo(0);
          assertThat(top30).contains(row);
        }
        boolean sorted = true;
        for (int r = 1; r < f.numBoxes(); r++) {
          sorted &= f.objectConf()[r - 1] >= f.objectConf()[r];
        }
        sortedSomewhere |= sorted;
      }
    }
    assertThat(below).isPositive();
    assertThat(above).isPositive();
    assertThat(sortedSomewhere).as("rows are not sorted by confidence").isFalse();
  }

  @Test
  void generationIsFast() {
    SynthConfig c = SynthConfig.defaults().withFeatureDim(64).withTrainVideos(400).withValVideos(20)
        .withTestVideos(100);
    SynthWorld w = new SynthWorld(c);
    long t0 = System.nanoTime();
    long boxes = 0;
    for (Split s : Split.values()) {
      for (int i = 0; i < w.count(s); i++) {
        boxes += w.video(s, i).frames().get(0).numBoxes();
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    assertThat(boxes).isPositive();
    // a tenth of the default corpus; the full one must stay well under a minute on 2 cores
    assertThat(secs).isLessThan(10.0);
  }

  private static float[] box(SynthVideo v, int k, int obj) {
    int row = v.salientRows(k)[obj];
    return Arrays.copyOfRange(v.frames().get(k).boxes(), 4 * row, 4 * row + 4);
  }

  private static double cx(float[] b) {
    return (b[0] + b[2]) / 2.0;
  }

  private static double cy(float[] b) {
    return (b[1] + b[3]) / 2.0;
  }

  private static double area(float[] b) {
    return (b[2] - b[0]) * (double) (b[3] - b[1]);
  }
}
