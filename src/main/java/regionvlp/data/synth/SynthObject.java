package regionvlp.data.synth;

import java.util.Objects;

/**
 * One salient (captioned) object of a video: its class (index into {@link SynthVocab}), colour, size and motion.
 */
public record SynthObject(int classIndex, Colour colour, Size size, Motion motion) {
  public SynthObject {
    if (classIndex < 0) {
      throw new IllegalArgumentException("classIndex: expected >= 0, found " + classIndex);
    }
    Objects.requireNonNull(colour, "colour");
    Objects.requireNonNull(size, "size");
    Objects.requireNonNull(motion, "motion");
  }

  SynthObject withColour(Colour c) {
    return new SynthObject(classIndex, c, size, motion);
  }

  SynthObject withSize(Size s) {
    return new SynthObject(classIndex, colour, s, motion);
  }

  SynthObject withMotion(Motion m) {
    return new SynthObject(classIndex, colour, size, m);
  }
}
