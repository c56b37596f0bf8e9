package regionvlp.data.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The caption grammar: every caption names every salient object of the spec with its colour, its size (when
 * not {@link Size#NONE}) and its motion, using random synonyms, paraphrases, optional determiners, object order
 * and connectives. So a caption always says what tells a video apart from its group twins.
 */
final class CaptionGrammar {
  private static final List<String> CONNECTIVES = List.of(" while ", " and ", ", as ", ", while ");
  private static final List<String> PREFIXES = List.of("", "", "", "in this video ", "in the clip ");

  private CaptionGrammar() {}

  static String caption(SynthSpec spec, SynthVocab vocab, SplittableRandom rng) {
    List<SynthObject> objs = new ArrayList<>(spec.objects());
    for (int i = objs.size() - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      SynthObject t = objs.get(i);
      objs.set(i, objs.get(j));
      objs.set(j, t);
    }
    StringBuilder sb = new StringBuilder(pick(PREFIXES, rng));
    for (int i = 0; i < objs.size(); i++) {
      if (i > 0) {
        sb.append(i == objs.size() - 1 && objs.size() == 3 && rng.nextBoolean() ? " and "
            : pick(CONNECTIVES, rng));
      }
      sb.append(clause(objs.get(i), vocab, rng, i > 0));
    }
    return sb.toString();
  }

  private static String clause(SynthObject o, SynthVocab vocab, SplittableRandom rng, boolean later) {
    StringBuilder np = new StringBuilder();
    if (o.size() != Size.NONE) {
      np.append(pick(o.size().words(), rng)).append(' ');
    }
    np.append(o.colour().word()).append(' ');
    SynthVocab.ObjectClass c = vocab.get(o.classIndex());
    List<String> names = c.allNames();
    np.append(names.size() == 1 || rng.nextDouble() < 0.6 ? c.name() : names.get(1 + rng.nextInt(names.size() - 1)));
    double d = rng.nextDouble();
    String det;
    if (d < 0.55) {
      det = "aeiou".indexOf(np.charAt(0)) >= 0 ? "an " : "a ";
    } else if (d < 0.9) {
      det = "the ";
    } else {
      det = later ? "the " : "";
    }
    return det + np + " " + pick(o.motion().phrases(), rng);
  }

  private static <T> T pick(List<T> list, SplittableRandom rng) {
    return list.get(rng.nextInt(list.size()));
  }
}
