package regionvlp.data;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A pickle interpreter (protocols 2 to 5, plus the few protocol-0/1 opcodes numpy pickles use) that builds
 * plain Java values and <em>never executes anything</em>.
 *
 * <p>Only these globals may be named, each interpreted in Java: {@code numpy.core.multiarray._reconstruct}
 * and {@code numpy._core.multiarray._reconstruct} (with {@code numpy.ndarray}, then {@code BUILD}) give an
 * {@link NpyArray} or a {@link PyObjectArray}; {@code numpy.dtype} gives a dtype whose {@code BUILD} state sets
 * the byte order; {@code numpy.core.multiarray.scalar} / {@code numpy._core.multiarray.scalar} give a {@link
 * Long}, {@link Double} or {@link Boolean}; {@code _codecs.encode(str, 'latin1')} gives {@code byte[]} (the
 * way numpy stores bytes under protocol 2). Any other global throws {@link ForbiddenGlobalException} the
 * moment it is read. {@code REDUCE} can only call one of these interpretations, so arbitrary calls are
 * impossible by construction.
 *
 * <p>Value mapping: dict → {@link LinkedHashMap}, str → {@link String}, int → {@link Long} ({@link
 * BigInteger} beyond 64 bits), float → {@link Double}, bool → {@link Boolean}, None → null, tuple →
 * unmodifiable {@link List}, list → {@link ArrayList}, bytes/bytearray → {@code byte[]}, set → {@link
 * LinkedHashSet}.
 *
 * <p>A format may add interpretations through {@link Globals} (the torch checkpoint reader does: tensors,
 * storages, {@code OrderedDict}, inert class instances); the numpy ones above always apply first, and a global
 * that neither knows is refused the same way.
 *
 * <p>Work is bounded: every opcode consumes at least one input byte, length fields are checked against the
 * remaining input before anything is allocated, and no step recurses over the built values.
 */
public final class SafeUnpickler {
  private static final Path UNKNOWN_FILE = Path.of("<pickle>");
  private static final int MAX_KEY_DEPTH = 64;

  private enum Global {
    RECONSTRUCT,
    NDARRAY,
    DTYPE,
    SCALAR,
    CODECS_ENCODE
  }

  private static final Map<String, Global> ALLOWED =
      Map.of(
          "numpy.core.multiarray._reconstruct", Global.RECONSTRUCT,
          "numpy._core.multiarray._reconstruct", Global.RECONSTRUCT,
          "numpy.ndarray", Global.NDARRAY,
          "numpy.dtype", Global.DTYPE,
          "numpy.core.multiarray.scalar", Global.SCALAR,
          "numpy._core.multiarray.scalar", Global.SCALAR,
          "_codecs.encode", Global.CODECS_ENCODE);

  /**
   * More globals, and persistent ids, for one file format. An implementation never runs code either: a
   * global becomes a Java stand-in, and a call on that stand-in builds a Java value from its arguments.
   * Methods report bad arguments by throwing {@link IllegalArgumentException}; the unpickler adds the file,
   * the part and the byte offset.
   */
  public interface Globals {
    /**
     * A Java stand-in for {@code module.name}, or null to refuse it ({@link ForbiddenGlobalException}).
     * Called when the global is read, so a refusal happens before anything could use it.
     */
    Object resolve(String module, String name);

    /** What this format allows, for the refusal message, e.g. "only tensor and container globals...". */
    String allowed();

    /** REDUCE, NEWOBJ or NEWOBJ_EX on a stand-in returned by {@link #resolve}. */
    Object call(Object callable, List<Object> args);

    /** BUILD on a value made by {@link #call}; false when {@code target} is not one of this format's values. */
    boolean build(Object target, Object state);

    /** BINPERSID / PERSID: the object a persistent id stands for. */
    Object persistentLoad(Object pid);
  }

  private static final Object MARK = new Object();

  /** An ndarray made by _reconstruct, waiting for its BUILD state. */
  private static final class PendingArray {
    Object result;
  }

  /** A numpy dtype; BUILD may set its byte order after creation, and later users see the change. */
  private static final class PendingDtype {
    final String name;
    String order = "=";

    PendingDtype(String name) {
      this.name = name;
    }

    String descr() {
      if (name.equals("O8") || name.equals("O4") || name.equals("O")) {
        return "|O";
      }
      if (name.equals("b1") || name.equals("u1") || name.equals("i1") || name.equals("?")) {
        return "|" + (name.equals("?") ? "b1" : name);
      }
      // '=' is native order of the writing machine; numpy itself pickles '<' or '>', and every machine that
      // wrote the extractor files was little-endian.
      String o = order.equals("=") ? "<" : order;
      return o + name;
    }
  }

  private final byte[] in;
  private final Path file;
  private final String where;
  private final Globals globals;
  private int pos;
  private final ArrayList<Object> stack = new ArrayList<>();
  private final ArrayList<Integer> marks = new ArrayList<>();
  private final Map<Long, Object> memo = new HashMap<>();

  private SafeUnpickler(byte[] in, int start, Path file, String where, Globals globals) {
    this.in = in;
    this.pos = start;
    this.file = file == null ? UNKNOWN_FILE : file;
    this.where = where == null || where.isEmpty() ? "pickle" : where;
    this.globals = globals;
  }

  /** Unpickles bytes whose origin is unknown. */
  public static Object load(byte[] pickle) {
    return load(pickle, null, null);
  }

  /**
   * Unpickles {@code pickle}.
   *
   * @param file the file the bytes came from (for messages), or null
   * @param where what part of the file, e.g. {@code "entry 'info.npy': object array pickle"}, or null
   * @return the Java value of the pickled object
   * @throws ForbiddenGlobalException if the pickle names a global outside the allow-list
   * @throws InvalidInputFileException if the pickle is malformed, truncated, or uses an unsupported opcode
   */
  public static Object load(byte[] pickle, Path file, String where) {
    return load(pickle, 0, file, where, null).value();
  }

  /** A value and the offset just past its STOP opcode (the next pickle of a stream starts there). */
  public record Result(Object value, int end) {}

  /**
   * Unpickles the pickle that starts at {@code start} of {@code bytes}, with a format's extra {@code globals}.
   *
   * @param globals more interpretations (and persistent ids), or null for numpy's only
   * @throws ForbiddenGlobalException if the pickle names a global that neither allows
   * @throws InvalidInputFileException if the pickle is malformed, truncated, or uses an unsupported opcode
   */
  public static Result load(byte[] bytes, int start, Path file, String where, Globals globals) {
    SafeUnpickler u = new SafeUnpickler(bytes, start, file, where, globals);
    try {
      Object v = u.run();
      return new Result(v, u.pos);
    } catch (InvalidInputFileException e) {
      throw e;
    } catch (RuntimeException e) {
      throw u.error("malformed pickle near byte offset " + u.pos + ": " + e, e);
    }
  }

  private InvalidInputFileException error(String message) {
    return new InvalidInputFileException(file, where + ": " + message);
  }

  private InvalidInputFileException error(String message, Throwable cause) {
    return new InvalidInputFileException(file, where + ": " + message, cause);
  }

  private Object run() {
    while (true) {
      if (pos >= in.length) {
        throw error("truncated pickle: expected STOP opcode, found end of data after " + in.length + " bytes");
      }
      int opPos = pos;
      int op = in[pos++] & 0xff;
      switch (op) {
        case 0x80 -> { // PROTO
          int proto = u8();
          if (proto > 5) {
            throw error("unsupported pickle protocol " + proto + "; expected 0..5");
          }
        }
        case 0x95 -> need(8, "FRAME"); // FRAME: length is only a hint; consume it
        case '.' -> { // STOP
          Object v = pop();
          return v instanceof PendingArray p ? finished(p, opPos) : v;
        }
        case '(' -> marks.add(stack.size());
        case '0' -> pop();
        case '1' -> popMark();
        case '2' -> push(peek());
        case 'N' -> push(null);
        case 0x88 -> push(Boolean.TRUE);
        case 0x89 -> push(Boolean.FALSE);
        case 'K' -> push((long) u8());
        case 'M' -> push((long) u16());
        case 'J' -> push((long) ByteBuffer.wrap(take(4, "BININT")).order(ByteOrder.LITTLE_ENDIAN).getInt());
        case 0x8a -> push(longFromBytes(take(u8(), "LONG1")));
        case 0x8b -> push(longFromBytes(take(len32("LONG4"), "LONG4")));
        case 'I' -> {
          String s = line("INT");
          if (s.equals("01")) {
            push(Boolean.TRUE);
          } else if (s.equals("00")) {
            push(Boolean.FALSE);
          } else {
            push(normalize(new BigInteger(s)));
          }
        }
        case 'L' -> {
          String s = line("LONG");
          push(normalize(new BigInteger(s.endsWith("L") ? s.substring(0, s.length() - 1) : s)));
        }
        case 'F' -> push(Double.parseDouble(line("FLOAT")));
        case 'G' -> push(ByteBuffer.wrap(take(8, "BINFLOAT")).order(ByteOrder.BIG_ENDIAN).getDouble());
        case 0x8c -> push(utf8(take(u8(), "SHORT_BINUNICODE")));
        case 'X' -> push(utf8(take(len32("BINUNICODE"), "BINUNICODE")));
        case 0x8d -> push(utf8(take(len64("BINUNICODE8"), "BINUNICODE8")));
        // Python 2 str: np.load decodes it as latin-1 for numpy data; we do the same.
        case 'U' -> push(new String(take(u8(), "SHORT_BINSTRING"), StandardCharsets.ISO_8859_1));
        case 'T' -> push(new String(take(len32("BINSTRING"), "BINSTRING"), StandardCharsets.ISO_8859_1));
        case 'C' -> push(take(u8(), "SHORT_BINBYTES"));
        case 'B' -> push(take(len32("BINBYTES"), "BINBYTES"));
        case 0x8e -> push(take(len64("BINBYTES8"), "BINBYTES8"));
        case 0x96 -> push(take(len64("BYTEARRAY8"), "BYTEARRAY8"));
        case 0x98 -> peek(); // READONLY_BUFFER: no-op on an in-band buffer
        case ')' -> push(List.of());
        case 't' -> push(tuple(popMark()));
        case 0x85 -> push(tuple(popN(1)));
        case 0x86 -> push(tuple(popN(2)));
        case 0x87 -> push(tuple(popN(3)));
        case ']' -> push(new ArrayList<>());
        case 'l' -> push(new ArrayList<>(popMark()));
        case 'a' -> {
          Object v = pop();
          asList(peek(), "APPEND").add(v);
        }
        case 'e' -> {
          List<Object> items = popMark();
          asList(peek(), "APPENDS").addAll(items);
        }
        case '}' -> push(new LinkedHashMap<>());
        case 'd' -> {
          Map<Object, Object> m = new LinkedHashMap<>();
          putAll(m, popMark());
          push(m);
        }
        case 's' -> {
          Object v = pop();
          Object k = pop();
          putAll(asDict(peek(), "SETITEM"), List.of(k == null ? NULL_KEY : k, v == null ? NULL_KEY : v));
        }
        case 'u' -> {
          List<Object> items = popMark();
          putAll(asDict(peek(), "SETITEMS"), items);
        }
        case 0x8f -> push(new LinkedHashSet<>());
        case 0x90 -> {
          List<Object> items = popMark();
          Object s = peek();
          if (!(s instanceof Set)) {
            throw error("ADDITEMS at byte offset " + opPos + ": expected a set, found " + typeName(s));
          }
          @SuppressWarnings("unchecked")
          Set<Object> set = (Set<Object>) s;
          for (Object item : items) {
            checkHashable(item, opPos);
            set.add(item);
          }
        }
        case 0x91 -> {
          List<Object> items = popMark();
          for (Object item : items) {
            checkHashable(item, opPos);
          }
          push(Collections.unmodifiableSet(new LinkedHashSet<>(items)));
        }
        case 'p' -> memo.put(parseLongLine("PUT"), peek());
        case 'q' -> memo.put((long) u8(), peek());
        case 'r' -> memo.put(len32("LONG_BINPUT"), peek());
        case 0x94 -> memo.put((long) memo.size(), peek());
        case 'g' -> push(memoGet(parseLongLine("GET"), opPos));
        case 'h' -> push(memoGet(u8(), opPos));
        case 'j' -> push(memoGet(len32("LONG_BINGET"), opPos));
        case 'c' -> {
          String module = line("GLOBAL");
          String name = line("GLOBAL");
          push(resolve(module, name, opPos));
        }
        case 0x93 -> {
          Object name = pop();
          Object module = pop();
          if (!(module instanceof String m) || !(name instanceof String n)) {
            throw error(
                "STACK_GLOBAL at byte offset " + opPos + ": expected two strings, found "
                    + typeName(module) + " and " + typeName(name));
          }
          push(resolve(m, n, opPos));
        }
        case 'i' -> { // INST: resolve (and so reject) first, then refuse: numpy never uses it
          String module = line("INST");
          String name = line("INST");
          resolve(module, name, opPos);
          throw error("INST opcode at byte offset " + opPos + " is not supported for " + module + "." + name);
        }
        case 'R' -> {
          Object args = pop();
          Object callable = pop();
          push(call(callable, args, opPos, "REDUCE"));
        }
        case 0x81 -> { // NEWOBJ: cls.__new__(cls, *args); same Java interpretation as a call
          Object args = pop();
          Object cls = pop();
          push(call(cls, args, opPos, "NEWOBJ"));
        }
        case 0x92 -> { // NEWOBJ_EX
          Object kwargs = pop();
          Object args = pop();
          Object cls = pop();
          if (!(kwargs instanceof Map<?, ?> kw) || !kw.isEmpty()) {
            throw error("NEWOBJ_EX at byte offset " + opPos + ": keyword arguments are not supported");
          }
          push(call(cls, args, opPos, "NEWOBJ_EX"));
        }
        case 'b' -> {
          Object state = pop();
          Object target = peek();
          if (target instanceof PendingArray || target instanceof PendingDtype || !extensionBuild(target, state, opPos)) {
            build(target, state, opPos);
          }
          if (target instanceof PendingArray p) {
            stack.set(stack.size() - 1, p.result);
          }
        }
        case 'Q' -> push(persistent(pop(), opPos));
        case 'P' -> push(persistent(line("PERSID"), opPos));
        case 'o', 0x82, 0x83, 0x84, 0x97, 'S', 'V' ->
            throw error(
                String.format(
                    Locale.ROOT,
                    "unsupported pickle opcode 0x%02x ('%s') at byte offset %d; only numpy array pickles are accepted",
                    op,
                    printable(op),
                    opPos));
        default -> throw error(
            String.format(
                Locale.ROOT, "unknown pickle opcode 0x%02x ('%s') at byte offset %d", op, printable(op), opPos));
      }
    }
  }

  // ---- Java interpretations of the allowed globals ----

  private Object resolve(String module, String name, int opPos) {
    Object g = ALLOWED.get(module + "." + name);
    if (g == null && globals != null) {
      try {
        g = globals.resolve(module, name);
      } catch (IllegalArgumentException e) {
        throw error("global at byte offset " + opPos + ": " + e.getMessage(), e);
      }
    }
    if (g == null) {
      throw new ForbiddenGlobalException(
          file,
          where
              + ": pickle names forbidden global '"
              + module
              + "."
              + name
              + "' at byte offset "
              + opPos
              + "; "
              + (globals == null ? "only numpy array reconstruction globals are allowed" : globals.allowed())
              + " (nothing was executed)",
          module,
          name);
    }
    return g;
  }

  private Object call(Object callable, Object argsObj, int opPos, String opName) {
    if (!(argsObj instanceof List<?> args) || argsObj instanceof ArrayList) {
      throw error(opName + " at byte offset " + opPos + ": expected an argument tuple, found " + typeName(argsObj));
    }
    if (!(callable instanceof Global g)) {
      if (globals != null && callable != null && !(callable instanceof String)) {
        try {
          @SuppressWarnings("unchecked")
          List<Object> a = (List<Object>) args;
          return globals.call(callable, a);
        } catch (IllegalArgumentException e) {
          throw error(opName + " at byte offset " + opPos + ": " + e.getMessage(), e);
        }
      }
      throw error(opName + " at byte offset " + opPos + ": cannot call a " + typeName(callable));
    }
    switch (g) {
      case RECONSTRUCT -> {
        if (args.size() != 3 || args.get(0) != Global.NDARRAY) {
          throw error("_reconstruct at byte offset " + opPos + ": expected (numpy.ndarray, shape, tag)");
        }
        return new PendingArray();
      }
      case DTYPE -> {
        if (args.isEmpty() || !(args.get(0) instanceof String name)) {
          throw error("numpy.dtype at byte offset " + opPos + ": expected a type string argument");
        }
        return new PendingDtype(name);
      }
      case SCALAR -> {
        if (args.isEmpty() || !(args.get(0) instanceof PendingDtype dt)) {
          throw error("scalar at byte offset " + opPos + ": expected (dtype, bytes)");
        }
        String descr = dt.descr();
        if (descr.equals("|O")) {
          return args.size() > 1 ? args.get(1) : null;
        }
        if (args.size() != 2 || !(args.get(1) instanceof byte[] raw)) {
          throw error("scalar at byte offset " + opPos + ": expected (dtype, bytes), found " + args.size() + " args");
        }
        NpyArray a = array(descr, new long[0], raw, opPos);
        return switch (descr) {
          case "<f2", "<f4", "<f8" -> a.getDouble(0);
          case "|b1" -> a.getLong(0) != 0;
          default -> a.getLong(0);
        };
      }
      case CODECS_ENCODE -> {
        if (args.size() != 2 || !(args.get(0) instanceof String s) || !(args.get(1) instanceof String enc)
            || !(enc.equalsIgnoreCase("latin1") || enc.equalsIgnoreCase("latin-1")
                || enc.equalsIgnoreCase("iso-8859-1"))) {
          throw error("_codecs.encode at byte offset " + opPos + ": only encode(str, 'latin1') is allowed");
        }
        byte[] out = new byte[s.length()];
        for (int i = 0; i < out.length; i++) {
          char c = s.charAt(i);
          if (c > 0xff) {
            throw error("_codecs.encode at byte offset " + opPos + ": character beyond latin-1");
          }
          out[i] = (byte) c;
        }
        return out;
      }
      default -> throw error(opName + " at byte offset " + opPos + ": numpy." + g.name().toLowerCase(Locale.ROOT)
          + " cannot be called directly");
    }
  }

  private void build(Object target, Object stateObj, int opPos) {
    if (target instanceof PendingDtype dt) {
      if (!(stateObj instanceof List<?> st) || st.size() < 2 || !(st.get(1) instanceof String order)) {
        throw error("dtype BUILD at byte offset " + opPos + ": expected (version, byteorder, ...) state");
      }
      if (!order.equals("<") && !order.equals(">") && !order.equals("|") && !order.equals("=")) {
        throw error("dtype BUILD at byte offset " + opPos + ": unknown byte order '" + order + "'");
      }
      dt.order = order;
      return;
    }
    if (!(target instanceof PendingArray p) || p.result != null) {
      throw error("BUILD at byte offset " + opPos + ": cannot set the state of a " + typeName(target));
    }
    if (!(stateObj instanceof List<?> st) || stateObj instanceof ArrayList || (st.size() != 5 && st.size() != 4)) {
      throw error("ndarray BUILD at byte offset " + opPos
          + ": expected state (version, shape, dtype, is_fortran, data), found " + typeName(stateObj));
    }
    int o = st.size() == 5 ? 1 : 0;
    Object shapeObj = st.get(o);
    Object dtObj = st.get(o + 1);
    Object fortran = st.get(o + 2);
    Object raw = st.get(o + 3);
    if (!(shapeObj instanceof List<?> dims) || !(dtObj instanceof PendingDtype dt)) {
      throw error("ndarray BUILD at byte offset " + opPos + ": expected a shape tuple and a dtype");
    }
    long[] shape = new long[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      if (!(dims.get(i) instanceof Long d) || d < 0) {
        throw error("ndarray BUILD at byte offset " + opPos + ": bad dimension in shape " + dims);
      }
      shape[i] = d;
    }
    if (Boolean.TRUE.equals(fortran) && shape.length > 1) {
      throw error("ndarray BUILD at byte offset " + opPos + ": Fortran-ordered arrays are not supported");
    }
    String descr = dt.descr();
    if (descr.equals("|O")) {
      if (!(raw instanceof List<?> items)) {
        throw error("object ndarray BUILD at byte offset " + opPos + ": expected a list of items, found "
            + typeName(raw));
      }
      try {
        p.result = new PyObjectArray(shape, new ArrayList<>(items));
      } catch (IllegalArgumentException e) {
        throw error("object ndarray BUILD at byte offset " + opPos + ": " + e.getMessage(), e);
      }
      return;
    }
    if (!(raw instanceof byte[] bytes)) {
      throw error("ndarray BUILD at byte offset " + opPos + ": expected raw bytes, found " + typeName(raw));
    }
    p.result = array(descr, shape, bytes, opPos);
  }

  private boolean extensionBuild(Object target, Object state, int opPos) {
    if (globals == null) {
      return false;
    }
    try {
      return globals.build(target, state);
    } catch (IllegalArgumentException e) {
      throw error("BUILD at byte offset " + opPos + ": " + e.getMessage(), e);
    }
  }

  private Object persistent(Object pid, int opPos) {
    if (globals == null) {
      throw error("persistent id at byte offset " + opPos
          + ": this pickle refers to data outside itself, which only a torch checkpoint may do");
    }
    try {
      return globals.persistentLoad(pid);
    } catch (IllegalArgumentException e) {
      throw error("persistent id at byte offset " + opPos + ": " + e.getMessage(), e);
    }
  }

  private NpyArray array(String descr, long[] shape, byte[] bytes, int opPos) {
    try {
      return new NpyArray(descr, shape, ByteBuffer.wrap(bytes));
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw error("numpy array at byte offset " + opPos + ": " + e.getMessage(), e);
    }
  }

  private Object finished(PendingArray p, int opPos) {
    if (p.result == null) {
      throw error("ndarray at byte offset " + opPos + " was never given its state (missing BUILD)");
    }
    return p.result;
  }

  // ---- stack and memo ----

  /** Stands for a null element while it passes through List.of (which forbids nulls). */
  private static final Object NULL_KEY = new Object();

  private void push(Object v) {
    stack.add(v);
  }

  private Object pop() {
    int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
    if (stack.size() <= floor) {
      throw error("stack underflow at byte offset " + (pos - 1));
    }
    return stack.remove(stack.size() - 1);
  }

  private Object peek() {
    int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
    if (stack.size() <= floor) {
      throw error("stack underflow at byte offset " + (pos - 1));
    }
    return stack.get(stack.size() - 1);
  }

  private List<Object> popN(int n) {
    int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
    if (stack.size() - n < floor) {
      throw error("stack underflow at byte offset " + (pos - 1));
    }
    List<Object> sub = stack.subList(stack.size() - n, stack.size());
    List<Object> out = new ArrayList<>(sub);
    sub.clear();
    return out;
  }

  private List<Object> popMark() {
    if (marks.isEmpty()) {
      throw error("opcode at byte offset " + (pos - 1) + " needs a MARK, none is open");
    }
    int m = marks.remove(marks.size() - 1);
    List<Object> sub = stack.subList(m, stack.size());
    List<Object> out = new ArrayList<>(sub);
    sub.clear();
    return out;
  }

  private Object memoGet(long index, int opPos) {
    if (!memo.containsKey(index)) {
      throw error("memo key " + index + " read at byte offset " + opPos + " was never stored");
    }
    Object v = memo.get(index);
    return v instanceof PendingArray p && p.result != null ? p.result : v;
  }

  private static List<Object> tuple(List<Object> items) {
    return Collections.unmodifiableList(items);
  }

  @SuppressWarnings("unchecked")
  private List<Object> asList(Object o, String op) {
    if (o instanceof PyObject p) {
      return p.listItems();
    }
    if (!(o instanceof ArrayList)) {
      throw error(op + " at byte offset " + (pos - 1) + ": expected a list, found " + typeName(o));
    }
    return (List<Object>) o;
  }

  @SuppressWarnings("unchecked")
  private Map<Object, Object> asDict(Object o, String op) {
    if (o instanceof PyObject p) {
      return p.dictItems();
    }
    if (!(o instanceof LinkedHashMap)) {
      throw error(op + " at byte offset " + (pos - 1) + ": expected a dict, found " + typeName(o));
    }
    return (Map<Object, Object>) o;
  }

  private void putAll(Map<Object, Object> m, List<Object> kv) {
    if (kv.size() % 2 != 0) {
      throw error("dict items at byte offset " + (pos - 1) + ": odd number of keys and values");
    }
    for (int i = 0; i < kv.size(); i += 2) {
      Object k = kv.get(i) == NULL_KEY ? null : kv.get(i);
      Object v = kv.get(i + 1) == NULL_KEY ? null : kv.get(i + 1);
      checkHashable(k, pos - 1);
      m.put(k, v);
    }
  }

  /** Python would refuse unhashable keys; refusing them here also keeps hashCode from recursing into cycles. */
  private void checkHashable(Object k, int opPos) {
    ArrayList<Object> todo = new ArrayList<>();
    todo.add(k);
    int seen = 0;
    while (!todo.isEmpty()) {
      Object o = todo.remove(todo.size() - 1);
      if (++seen > MAX_KEY_DEPTH * 16) {
        throw error("dict key at byte offset " + opPos + " is too large");
      }
      if (o instanceof List<?> l) {
        if (o instanceof ArrayList) {
          throw error("dict key at byte offset " + opPos + ": unhashable type list");
        }
        todo.addAll(l);
      } else if (o instanceof Map || o instanceof Set) {
        throw error("dict key at byte offset " + opPos + ": unhashable type " + typeName(o));
      } else if (o instanceof PendingArray || o instanceof PendingDtype || o instanceof NpyArray
          || o instanceof PyObjectArray) {
        throw error("dict key at byte offset " + opPos + ": unsupported key type " + typeName(o));
      }
    }
  }

  // ---- input ----

  private void need(long n, String op) {
    if (n < 0 || n > in.length - pos) {
      throw error(
          String.format(
              Locale.ROOT,
              "truncated or corrupt pickle: %s at byte offset %d needs %d bytes, only %d remain",
              op,
              pos - 1,
              n,
              in.length - pos));
    }
    if (op.equals("FRAME")) {
      pos += 8;
    }
  }

  private byte[] take(long n, String op) {
    need(n, op);
    byte[] out = new byte[(int) n];
    System.arraycopy(in, pos, out, 0, (int) n);
    pos += (int) n;
    return out;
  }

  private int u8() {
    need(1, "opcode argument");
    return in[pos++] & 0xff;
  }

  private int u16() {
    need(2, "opcode argument");
    int v = (in[pos] & 0xff) | (in[pos + 1] & 0xff) << 8;
    pos += 2;
    return v;
  }

  private long len32(String op) {
    need(4, op);
    long v = ByteBuffer.wrap(in, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
    pos += 4;
    return v;
  }

  private long len64(String op) {
    need(8, op);
    long v = ByteBuffer.wrap(in, pos, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    pos += 8;
    if (v < 0) {
      throw error(op + " at byte offset " + (pos - 9) + ": absurd length " + Long.toUnsignedString(v));
    }
    return v;
  }

  private String line(String op) {
    int start = pos;
    int end = start;
    while (end < in.length && in[end] != '\n') {
      end++;
    }
    if (end >= in.length) {
      throw error(op + " at byte offset " + (start - 1) + ": unterminated text argument (no newline)");
    }
    pos = end + 1;
    return new String(in, start, end - start, StandardCharsets.UTF_8);
  }

  private long parseLongLine(String op) {
    String s = line(op);
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw error(op + ": bad memo index '" + s + "'");
    }
  }

  private static Object longFromBytes(byte[] le) {
    if (le.length == 0) {
      return 0L;
    }
    byte[] be = new byte[le.length];
    for (int i = 0; i < le.length; i++) {
      be[i] = le[le.length - 1 - i];
    }
    return normalize(new BigInteger(be));
  }

  private static Object normalize(BigInteger b) {
    return b.bitLength() < 64 ? (Object) b.longValue() : b;
  }

  private String utf8(byte[] b) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw error("string before byte offset " + pos + " is not valid UTF-8", e);
    }
  }

  private static String printable(int op) {
    return op >= 0x20 && op < 0x7f ? String.valueOf((char) op) : "\\x" + String.format(Locale.ROOT, "%02x", op);
  }

  private static String typeName(Object o) {
    if (o == null) {
      return "None";
    }
    if (o instanceof Global g) {
      return "global " + g.name().toLowerCase(Locale.ROOT);
    }
    if (o instanceof PendingDtype) {
      return "dtype";
    }
    if (o instanceof PendingArray) {
      return "ndarray";
    }
    if (o instanceof byte[]) {
      return "bytes";
    }
    if (o instanceof ArrayList) {
      return "list";
    }
    if (o instanceof List) {
      return "tuple";
    }
    if (o instanceof Map) {
      return "dict";
    }
    return o.getClass().getSimpleName();
  }
}
