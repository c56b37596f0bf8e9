package regionvlp.data.synth;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Finds vocabulary nouns (names and synonyms, word-boundary, case-insensitive, plural {@code s}/{@code es}
 * {@code y -> ies} and possessive {@code 's} tolerated, longest multi-word match first) in free caption text, together with the
 * colour / size words right before each noun and the first motion cue between it and the next noun.
 */
public final class CaptionParser {

  /** One noun mention; colour and motion are null when the text does not say, size is NONE then. */
  public record Mention(int classIndex, Colour colour, Size size, Motion motion, int startToken, int endToken) {}

  private static final Set<String> FUNCTION_WORDS = Set.of("a", "an", "the", "and", "while", "as", "in",
      "this", "to", "is", "it", "not", "does", "gets", "goes", "moves", "stays", "remains", "into", "video",
      "clip", "footage", "grey");

  private final Map<String, Integer> phrases = new HashMap<>();
  private final Set<String> reserved = reservedWords();
  private final int maxLen;
  private final Map<String, Colour> colours = new HashMap<>();
  private final Map<String, Size> sizes = new HashMap<>();
  private final Map<String, Motion> motionCues = new HashMap<>();

  /** Builds a parser for {@code vocab}. */
  public CaptionParser(SynthVocab vocab) {
    int max = 1;
    // exact names first, so that a class named like another's plural (VG: "dog" and "dogs") keeps its own name
    for (int pass = 0; pass < 2; pass++) {
      for (SynthVocab.ObjectClass c : vocab.classes()) {
        for (String name : c.allNames()) {
          if (reserved.contains(name)) {
            continue;
          }
          List<String> toks = tokenize(name);
          if (toks.isEmpty()) {
            continue;
          }
          max = Math.max(max, toks.size());
          String base = String.join(" ", toks);
          if (pass == 0) {
            phrases.putIfAbsent(base, c.index());
            continue;
          }
          for (String suffix : List.of("s", "es", "'s")) {
            phrases.putIfAbsent(base + suffix, c.index());
          }
          if (base.endsWith("y") && base.length() > 2) {
            phrases.putIfAbsent(base.substring(0, base.length() - 1) + "ies", c.index());
          }
        }
      }
    }
    this.maxLen = max;
    for (Colour c : Colour.values()) {
      colours.put(c.word(), c);
    }
    colours.put("grey", Colour.GRAY);
    for (Size s : Size.values()) {
      for (String w : s.words()) {
        sizes.put(w, s);
      }
    }
    for (Motion m : Motion.values()) {
      for (String w : m.cues()) {
        motionCues.put(w, m);
      }
    }
  }

  /** Words of the caption grammar that are never read as nouns. */
  public static Set<String> reservedWords() {
    Set<String> r = new HashSet<>(FUNCTION_WORDS);
    for (Colour c : Colour.values()) {
      r.add(c.word());
    }
    for (Size s : Size.values()) {
      r.addAll(s.words());
    }
    for (Motion m : Motion.values()) {
      r.addAll(m.cues());
      for (String p : m.phrases()) {
        r.addAll(tokenize(p));
      }
    }
    return r;
  }

  /** Lower-cases and splits on anything but letters, digits, apostrophe and hyphen. */
  public static List<String> tokenize(String text) {
    List<String> out = new ArrayList<>();
    for (String t : text.toLowerCase(Locale.ROOT).split("[^a-z0-9'-]+")) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  /** All noun mentions in reading order (repeated classes included). */
  public List<Mention> parse(String caption) {
    List<String> toks = tokenize(caption);
    List<int[]> spans = new ArrayList<>(); // {class, start, end}
    int i = 0;
    while (i < toks.size()) {
      int matched = 0;
      for (int len = Math.min(maxLen, toks.size() - i); len >= 1; len--) {
        Integer cls = phrases.get(String.join(" ", toks.subList(i, i + len)));
        if (cls != null && !(len == 1 && reserved.contains(toks.get(i)))) {
          spans.add(new int[] {cls, i, i + len});
          matched = len;
          break;
        }
      }
      i += matched == 0 ? 1 : matched;
    }
    List<Mention> out = new ArrayList<>();
    for (int s = 0; s < spans.size(); s++) {
      int[] sp = spans.get(s);
      int prevEnd = s == 0 ? 0 : spans.get(s - 1)[2];
      Colour colour = null;
      Size size = Size.NONE;
      for (int j = sp[1] - 1; j >= Math.max(prevEnd, sp[1] - 3); j--) {
        String w = toks.get(j);
        if (colour == null && colours.containsKey(w)) {
          colour = colours.get(w);
        } else if (size == Size.NONE && sizes.containsKey(w)) {
          size = sizes.get(w);
        }
      }
      int nextStart = s + 1 < spans.size() ? spans.get(s + 1)[1] : toks.size();
      Motion motion = null;
      for (int j = sp[2]; j < nextStart && motion == null; j++) {
        motion = motionCues.get(toks.get(j));
      }
      out.add(new Mention(sp[0], colour, size, motion, sp[1], sp[2]));
    }
    return out;
  }

  /** The set of vocabulary classes the caption names (what the bag-of-objects oracle reads). */
  public Set<Integer> classSet(String caption) {
    Set<Integer> s = new LinkedHashSet<>();
    for (Mention m : parse(caption)) {
      s.add(m.classIndex());
    }
    return s;
  }
}
