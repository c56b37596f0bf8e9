package regionvlp.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An instance of a Python class that a safe reader does not know (for example the {@code
 * parse_config_dist_multi.ConfigParser} object the DemoVLP trainer pickles into every checkpoint, an {@code
 * argparse.Namespace} or a {@code pathlib.PosixPath}), kept as inert data: the class name, the arguments it was
 * created with, its {@code BUILD} state and any items appended or set on it. No Python code runs to make one,
 * so its contents are exactly what the file says, never what the class would have computed.
 */
public final class PyObject {
  private final String className;
  private final List<Object> args;
  private Object state;
  private final LinkedHashMap<Object, Object> dictItems = new LinkedHashMap<>();
  private final ArrayList<Object> listItems = new ArrayList<>();

  /**
   * @param className qualified class name, e.g. {@code argparse.Namespace}
   * @param args the constructor or reduce arguments as read from the pickle
   */
  public PyObject(String className, List<Object> args) {
    this.className = className;
    this.args = Collections.unmodifiableList(new ArrayList<>(args));
  }

  /** Qualified class name, {@code module.Name}. */
  public String className() {
    return className;
  }

  /** Arguments of the {@code REDUCE}/{@code NEWOBJ} that created it (e.g. the parts of a path). */
  public List<Object> args() {
    return args;
  }

  /** The {@code BUILD} state (usually the instance {@code __dict__}), or null if none was given. */
  public Object state() {
    return state;
  }

  void setState(Object state) {
    this.state = state;
  }

  /**
   * The instance attributes: the state when it is a dict, or the dict half of a {@code (dict, slots)} state;
   * empty otherwise.
   */
  @SuppressWarnings("unchecked")
  public Map<Object, Object> attributes() {
    if (state instanceof Map<?, ?> m) {
      return Collections.unmodifiableMap((Map<Object, Object>) m);
    }
    if (state instanceof List<?> l && l.size() == 2 && l.get(0) instanceof Map<?, ?> m) {
      return Collections.unmodifiableMap((Map<Object, Object>) m);
    }
    return Map.of();
  }

  /** Items set on it as on a dict (a dict subclass); mutable while unpickling. */
  Map<Object, Object> dictItems() {
    return dictItems;
  }

  /** Items appended to it as to a list (a list subclass); mutable while unpickling. */
  List<Object> listItems() {
    return listItems;
  }

  /** Read-only view of the dict items. */
  public Map<Object, Object> items() {
    return Collections.unmodifiableMap(dictItems);
  }

  /** Read-only view of the list items. */
  public List<Object> elements() {
    return Collections.unmodifiableList(listItems);
  }

  @Override
  public String toString() {
    return className + "(inert)";
  }
}
