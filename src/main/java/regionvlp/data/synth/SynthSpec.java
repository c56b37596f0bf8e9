package regionvlp.data.synth;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The semantic content of one video: its 1..n salient objects (distinct classes in grammar mode). */
public record SynthSpec(List<SynthObject> objects) {
  public SynthSpec {
    objects = List.copyOf(objects);
    if (objects.isEmpty()) {
      throw new IllegalArgumentException("objects: expected at least one salient object, found none");
    }
  }

  /** The set of salient class indices (what the bag-of-objects oracle sees of a video). */
  public Set<Integer> classSet() {
    Set<Integer> s = new TreeSet<>();
    for (SynthObject o : objects) {
      s.add(o.classIndex());
    }
    return s;
  }

  /** The sorted class multiset, for comparing group twins. */
  public List<Integer> classMultiset() {
    return objects.stream().map(SynthObject::classIndex).sorted().toList();
  }
}
