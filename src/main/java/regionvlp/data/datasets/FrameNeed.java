package regionvlp.data.datasets;

import java.util.Locale;

/**
 * How many frame files a clip needs for a sampling setup (METHOD.md 1.5, G9): K &gt;= F always (a batch holds
 * exactly F frames per clip), and K &gt;= 2F for the faithful training sampler, which never draws the last frame
 * of a segment so that a 1-frame segment has nothing to draw. WebVid's rule "K == F uses all frames" lifts
 * the second bound when K == F. A single image (CC3M) is frame 0 whatever the sampler.
 *
 * @param frames F, the frames sampled per clip
 * @param faithfulSampling whether the faithful (off-by-one) random sampler is used
 */
public record FrameNeed(int frames, boolean faithfulSampling) {
  public FrameNeed {
    if (frames < 1) {
      throw new IllegalArgumentException("frames must be >= 1, found " + frames);
    }
  }

  /** The smallest K that always works (2F for the faithful sampler, else F). */
  public int minFrames() {
    return faithfulSampling ? 2 * frames : frames;
  }

  /**
   * Why a clip with K frames cannot be sampled, or null when it can.
   *
   * @param k the clip's frame count
   * @param allFramesWhenEqual WebVid's K == F rule applies
   */
  public String shortfall(int k, boolean allFramesWhenEqual) {
    if (k < frames) {
      return String.format(Locale.ROOT, "%d frames, fewer than the %d needed to sample %d per clip; extract"
          + " more frames or lower the frame count", k, frames, frames);
    }
    if (faithfulSampling && k < 2 * frames && !(allFramesWhenEqual && k == frames)) {
      return String.format(Locale.ROOT, "%d frames, fewer than the %d needed to sample %d with the faithful"
          + " random sampler (--faithful-sampling, data.faithfulSampling), which never draws the last frame of a"
          + " segment (G9); use the corrected sampler or extract at least %d frames", k, 2 * frames, frames,
          2 * frames);
    }
    return null;
  }
}
