package regionvlp.data.synth;

import java.util.SplittableRandom;

/** Box trajectories (x1, y1, x2, y2 in pixels, clipped to the image) over K frames. */
final class Trajectory {
  private static final double JITTER = 0.004;

  private Trajectory() {}

  static float[][] object(Motion m, Size size, int w, int h, int k, SplittableRandom rng) {
    double wf = switch (size) {
      case SMALL -> SynthWorld.uniform(rng, 0.10, 0.16);
      case NONE -> SynthWorld.uniform(rng, 0.18, 0.26);
      case BIG -> SynthWorld.uniform(rng, 0.30, 0.40);
    };
    double bw = wf * w;
    double bh = bw * SynthWorld.uniform(rng, 0.6, 1.3);
    if (bh > 0.5 * h) {
      double f = 0.5 * h / bh;
      bw *= f;
      bh *= f;
    }
    double ratio = (m == Motion.GROWING || m == Motion.SHRINKING) ? SynthWorld.uniform(rng, 1.6, 2.0) : 1.0;
    double maxScale = Math.sqrt(ratio);
    double wm = bw * maxScale;
    double hm = bh * maxScale;
    double dx = 0;
    double dy = 0;
    switch (m) {
      case LEFT -> dx = -Math.min(SynthWorld.uniform(rng, 0.30, 0.50) * w, w - wm - 4);
      case RIGHT -> dx = Math.min(SynthWorld.uniform(rng, 0.30, 0.50) * w, w - wm - 4);
      case UP -> dy = -Math.min(SynthWorld.uniform(rng, 0.25, 0.40) * h, h - hm - 4);
      case DOWN -> dy = Math.min(SynthWorld.uniform(rng, 0.25, 0.40) * h, h - hm - 4);
      default -> { }
    }
    double cx0 = start(rng, wm / 2 + Math.max(0, -dx), w - wm / 2 - Math.max(0, dx));
    double cy0 = start(rng, hm / 2 + Math.max(0, -dy), h - hm / 2 - Math.max(0, dy));
    float[][] out = new float[k][];
    for (int f = 0; f < k; f++) {
      double t = k == 1 ? 0 : (double) f / (k - 1);
      double s = switch (m) {
        case GROWING -> Math.pow(ratio, t - 0.5);
        case SHRINKING -> Math.pow(ratio, 0.5 - t);
        default -> 1.0;
      };
      out[f] = box(cx0 + dx * t, cy0 + dy * t, bw * s, bh * s, w, h, rng);
    }
    return out;
  }

  static float[][] stuff(int w, int h, int k, SplittableRandom rng) {
    return still(SynthWorld.uniform(rng, 0.3, 1.0) * w, SynthWorld.uniform(rng, 0.15, 0.5) * h, w, h, k, rng);
  }

  static float[][] distractor(int w, int h, int k, SplittableRandom rng) {
    double bw = SynthWorld.uniform(rng, 0.05, 0.2) * w;
    double bh = Math.min(bw * SynthWorld.uniform(rng, 0.6, 1.5), 0.4 * h);
    return still(bw, bh, w, h, k, rng);
  }

  private static float[][] still(double bw, double bh, int w, int h, int k, SplittableRandom rng) {
    double cx = start(rng, bw / 2, w - bw / 2);
    double cy = start(rng, bh / 2, h - bh / 2);
    float[][] out = new float[k][];
    for (int f = 0; f < k; f++) {
      out[f] = box(cx, cy, bw, bh, w, h, rng);
    }
    return out;
  }

  private static double start(SplittableRandom rng, double lo, double hi) {
    return hi <= lo ? (lo + hi) / 2 : SynthWorld.uniform(rng, lo, hi);
  }

  private static float[] box(double cx, double cy, double bw, double bh, int w, int h, SplittableRandom rng) {
    cx += JITTER * w * rng.nextGaussian();
    cy += JITTER * w * rng.nextGaussian();
    bw *= 1 + 0.01 * rng.nextGaussian();
    bh *= 1 + 0.01 * rng.nextGaussian();
    double x1 = SynthWorld.clamp(cx - bw / 2, 0, w - 2);
    double y1 = SynthWorld.clamp(cy - bh / 2, 0, h - 2);
    double x2 = SynthWorld.clamp(cx + bw / 2, x1 + 1, w);
    double y2 = SynthWorld.clamp(cy + bh / 2, y1 + 1, h);
    return new float[] {(float) x1, (float) y1, (float) x2, (float) y2};
  }
}
