package regionvlp.data.synth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import regionvlp.data.InvalidInputFileException;

/**
 * The object vocabulary of a SynthVid corpus: class {@code i} is written as {@code objects_id = i + 1} (0 =
 * background), like VG class {@code k - 1} in the real extractor. Either the built-in list of everyday nouns
 * (plus "stuff" classes such as sky and road) or a file in the Visual Genome {@code objects_vocab.txt} format:
 * one class per line, synonyms separated by commas, the first name being the class name.
 *
 * <p>A class whose (single-word) name collides with a caption grammar word (a colour, size or motion word,
 * e.g. VG's {@code orange} or {@code black}) is never parsed from text and never used as a salient object.
 */
public final class SynthVocab {

  /** One class: its index, canonical name and synonyms (all lower case). */
  public record ObjectClass(int index, String name, List<String> synonyms) {
    public ObjectClass {
      Objects.requireNonNull(name, "name");
      synonyms = List.copyOf(synonyms);
    }

    /** The name followed by the synonyms. */
    public List<String> allNames() {
      List<String> all = new ArrayList<>();
      all.add(name);
      all.addAll(synonyms);
      return all;
    }
  }

  /** Background "stuff" region types; mapped to vocabulary classes when present (else objects_id 0). */
  public static final List<String> STUFF = List.of("sky", "wall", "floor", "grass", "road", "water", "tree",
      "building", "ceiling", "ground", "sand", "snow", "field", "fence", "sidewalk", "window", "mountain",
      "carpet");

  private static final String BUILT_IN = String.join("\n",
      "dog,puppy", "cat,kitten", "car,automobile", "bicycle,bike", "man,guy", "woman,lady", "boy", "girl",
      "child,kid", "baby", "ball", "cup,mug", "chair", "bird", "horse,pony", "cow", "sheep", "goat", "pig",
      "duck", "chicken", "rabbit,bunny", "mouse", "bear", "elephant", "giraffe", "zebra", "lion", "tiger",
      "monkey", "fish", "frog", "turtle", "snake", "butterfly", "bee", "truck,lorry", "bus", "train",
      "motorcycle,motorbike", "boat", "airplane,plane", "helicopter", "scooter", "skateboard", "surfboard",
      "kite", "balloon", "umbrella", "bag,handbag", "backpack", "suitcase", "box", "bottle", "glass", "bowl",
      "plate", "spoon", "fork", "knife", "pan", "pot", "kettle", "teapot", "vase", "lamp", "clock",
      "phone,cellphone", "laptop", "keyboard", "television,tv", "remote", "book", "pen", "pencil", "toy",
      "doll", "teddy bear", "robot", "drone", "hat,cap", "shoe,sneaker", "glove", "scarf", "shirt", "jacket",
      "dress", "table", "sofa,couch", "bed", "pillow", "blanket", "bench", "door", "ladder", "bucket",
      "basket", "barrel", "cart", "wagon", "tractor", "van", "taxi,cab", "ambulance", "sled", "canoe",
      "kayak", "apple", "banana", "lemon", "pear", "carrot", "tomato", "potato", "pumpkin", "watermelon",
      "pizza", "sandwich", "cake", "donut,doughnut", "cookie", "egg", "bread", "candle", "flower", "plant",
      "rock,stone", "log", "frisbee", "racket", "bat", "helmet", "guitar", "drum", "piano", "violin",
      "trumpet", "microphone", "fan", "toaster", "blender", "mirror", "wallet", "key", "coin", "envelope",
      "newspaper", "magazine", "brush", "comb", "towel", "sponge", "cushion", "trolley", "stroller",
      "wheelchair", "rocket", "tent", "crate", "cone", "flag", "sign", "statue", "penguin", "owl", "parrot",
      "squirrel", "fox", "deer", "camel", "crab", "snail", "whale", "dolphin",
      String.join("\n", STUFF));

  private final List<ObjectClass> classes;
  private final String source;
  private final int[] things;
  private final int[] stuffClass;

  private SynthVocab(List<ObjectClass> classes, String source) {
    this.classes = List.copyOf(classes);
    this.source = source;
    Set<String> stuff = new HashSet<>(STUFF);
    Set<String> reserved = CaptionParser.reservedWords();
    Map<String, Integer> firstByName = new LinkedHashMap<>();
    for (ObjectClass c : this.classes) {
      for (String n : c.allNames()) {
        firstByName.putIfAbsent(n, c.index());
      }
    }
    List<Integer> t = new ArrayList<>();
    for (ObjectClass c : this.classes) {
      boolean ok = !stuff.contains(c.name()) && firstByName.get(c.name()) == c.index();
      for (String n : c.allNames()) {
        if (reserved.contains(n)) {
          ok = false;
        }
      }
      if (ok) {
        t.add(c.index());
      }
    }
    if (t.size() < 8) {
      throw new IllegalArgumentException(
          source + ": expected at least 8 usable object classes, found " + t.size());
    }
    this.things = t.stream().mapToInt(Integer::intValue).toArray();
    this.stuffClass = new int[STUFF.size()];
    for (int i = 0; i < STUFF.size(); i++) {
      Integer idx = firstByName.get(STUFF.get(i));
      stuffClass[i] = idx == null ? -1 : idx;
    }
  }

  /** The built-in vocabulary (~180 everyday nouns with some synonyms, plus the stuff classes). */
  public static SynthVocab builtIn() {
    return new SynthVocab(parseLines(Arrays.asList(BUILT_IN.split("\n")), null), "built-in");
  }

  /**
   * Reads a VG-format vocabulary: one class per line, comma-separated names, blank lines skipped, CRLF accepted.
   *
   * @throws InvalidInputFileException naming the line when a name is empty or has characters other than
   *     letters, digits, space, {@code ' . - &}
   */
  public static SynthVocab load(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputFileException(file, "cannot read vocabulary: " + e, e);
    }
    List<ObjectClass> cls = parseLines(lines, file);
    if (cls.isEmpty()) {
      throw new InvalidInputFileException(file, "expected one class per line, found no classes");
    }
    try {
      return new SynthVocab(cls, file.toString());
    } catch (IllegalArgumentException e) {
      throw new InvalidInputFileException(file, e.getMessage(), e);
    }
  }

  /** Built-in list for a null path, else {@link #load(Path)}. */
  public static SynthVocab of(Path fileOrNull) {
    return fileOrNull == null ? builtIn() : load(fileOrNull);
  }

  private static List<ObjectClass> parseLines(List<String> lines, Path file) {
    List<ObjectClass> out = new ArrayList<>();
    for (int ln = 0; ln < lines.size(); ln++) {
      String line = lines.get(ln).strip();
      if (line.isEmpty()) {
        continue;
      }
      List<String> names = new ArrayList<>();
      for (String part : line.split(",", -1)) {
        String n = part.strip().toLowerCase(Locale.ROOT);
        if (n.isEmpty() || !n.matches("[a-z0-9 '.&-]+") || !n.matches(".*[a-z].*")) {
          String msg = "line " + (ln + 1) + ": expected comma-separated class names (letters, digits, "
              + "space, ' . - &), found \"" + lines.get(ln).strip() + "\"";
          if (file == null) {
            throw new IllegalStateException("built-in vocabulary " + msg);
          }
          throw new InvalidInputFileException(file, msg);
        }
        names.add(n.replaceAll("\\s+", " "));
      }
      out.add(new ObjectClass(out.size(), names.get(0), names.subList(1, names.size())));
    }
    return out;
  }

  /** Number of classes. */
  public int size() {
    return classes.size();
  }

  /** Class {@code index}. */
  public ObjectClass get(int index) {
    return classes.get(index);
  }

  /** All classes in index order. */
  public List<ObjectClass> classes() {
    return classes;
  }

  /** Where the vocabulary came from ("built-in" or the file path). */
  public String source() {
    return source;
  }

  /** Indices of the classes eligible as salient objects and distractors (not stuff, not grammar words). */
  public int[] thingClasses() {
    return things.clone();
  }

  int thingCount() {
    return things.length;
  }

  int thing(int i) {
    return things[i];
  }

  /** Vocabulary index of stuff type {@code i} of {@link #STUFF}, or -1 when the vocabulary lacks it. */
  public int stuffClass(int i) {
    return stuffClass[i];
  }
}
