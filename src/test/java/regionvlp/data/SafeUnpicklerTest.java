package regionvlp.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeUnpicklerTest {
  @TempDir Path tmp;

  private static Path marker() {
    return Path.of(System.getProperty("java.io.tmpdir"), "pwned-" + UUID.randomUUID());
  }

  /** GLOBAL module\nname\n, then (arg,) REDUCE: what a real exploit pickle looks like. */
  private static byte[] globalExploit(String module, String name, byte[] argTuple) {
    return new PickleBytes()
        .op(0x80, 2, 'c')
        .text(module + "\n" + name + "\n")
        .raw(argTuple)
        .op('R', '.')
        .bytes();
  }

  private static byte[] oneStrTuple(String s) {
    return new PickleBytes().str(s).op(0x85).bytes();
  }

  private static void assertForbidden(byte[] pickle, String global, Path marker, Path file) {
    assertThatThrownBy(() -> SafeUnpickler.load(pickle, file, "test pickle"))
        .isInstanceOf(ForbiddenGlobalException.class)
        .hasMessageContaining("'" + global + "'")
        .hasMessageContaining(file.toString())
        .satisfies(
            e -> {
              ForbiddenGlobalException f = (ForbiddenGlobalException) e;
              assertThat(f.module() + "." + f.name()).isEqualTo(global);
              assertThat(f.path()).isEqualTo(file);
            });
    assertThat(marker).doesNotExist();
  }

  @Test
  void osSystemIsRejectedAndNothingRuns() {
    Path marker = marker();
    byte[] p = globalExploit("os", "system", oneStrTuple("touch " + marker));
    assertForbidden(p, "os.system", marker, tmp.resolve("evil_os.npz"));
  }

  @Test
  void posixSystemIsRejectedAndNothingRuns() {
    Path marker = marker();
    byte[] p = globalExploit("posix", "system", oneStrTuple("touch " + marker));
    assertForbidden(p, "posix.system", marker, tmp.resolve("evil_posix.npz"));
  }

  @Test
  void builtinsEvalIsRejectedAndNothingRuns() {
    Path marker = marker();
    byte[] p = globalExploit("builtins", "eval", oneStrTuple("open('" + marker + "', 'w').close()"));
    assertForbidden(p, "builtins.eval", marker, tmp.resolve("evil_eval.npz"));
  }

  @Test
  void subprocessPopenViaStackGlobalIsRejectedAndNothingRuns() {
    Path marker = marker();
    // protocol 4: STACK_GLOBAL 'subprocess' 'Popen', args ((['touch', marker],)
    byte[] p =
        new PickleBytes()
            .op(0x80, 4)
            .shortStr("subprocess")
            .shortStr("Popen")
            .op(0x93, ']', '(')
            .shortStr("touch")
            .shortStr(marker.toString())
            .op('e', 0x85, 'R', '.')
            .bytes();
    assertForbidden(p, "subprocess.Popen", marker, tmp.resolve("evil_popen.npz"));
  }

  @Test
  void forbiddenGlobalInsideNpzIsReportedWithFileAndGlobal() throws Exception {
    Path marker = marker();
    byte[] pickle = globalExploit("os", "system", oneStrTuple("touch " + marker));
    byte[] npy = Npy.objectScalarBytes(pickle);
    Path file = tmp.resolve("evil_frame.npz");
    Files.write(file, PickleBytes.zip(Map.of("info.npy", npy)));
    assertThatThrownBy(() -> BottomUpNpz.read(file))
        .isInstanceOf(ForbiddenGlobalException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("'os.system'")
        .hasMessageContaining("info.npy");
    assertThat(marker).doesNotExist();
  }

  @Test
  void forbiddenGlobalIsRejectedEvenWhenTheRestIsTruncated() {
    // The check happens when GLOBAL is read, before the missing REDUCE/STOP could be noticed.
    byte[] p = new PickleBytes().op(0x80, 2, 'c').text("os\nsystem\n").bytes();
    assertThatThrownBy(() -> SafeUnpickler.load(p))
        .isInstanceOf(ForbiddenGlobalException.class)
        .hasMessageContaining("'os.system'")
        .hasMessageContaining("<pickle>");
  }

  @Test
  void reduceOnANonGlobalIsImpossible() {
    byte[] p = new PickleBytes().op(0x80, 2).str("os").op(')', 'R', '.').bytes();
    assertThatThrownBy(() -> SafeUnpickler.load(p))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("cannot call a String");
  }

  @Test
  void lengthFieldLargerThanInputIsRejected() {
    // BINUNICODE claiming 2^31-1 bytes with 3 present.
    byte[] p = new PickleBytes().op(0x80, 3, 'X', 0xff, 0xff, 0xff, 0x7f).text("abc").bytes();
    assertThatThrownBy(() -> SafeUnpickler.load(p, Path.of("big.npz"), "info"))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("big.npz")
        .hasMessageContaining("BINUNICODE")
        .hasMessageContaining("needs 2147483647 bytes, only 3 remain");
    byte[] p8 = new PickleBytes().op(0x80, 4, 0x8e, 0, 0, 0, 0, 0, 0, 0, 0x40, '.').bytes();
    assertThatThrownBy(() -> SafeUnpickler.load(p8))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("BINBYTES8");
  }

  @Test
  void missingStopIsAnErrorNotAHang() {
    byte[] p = new PickleBytes().op(0x80, 2, ']', '2', '2').bytes();
    assertThatThrownBy(() -> SafeUnpickler.load(p))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("expected STOP");
  }

  @Test
  void unknownMemoKeyIsAnError() {
    byte[] p = new PickleBytes().op(0x80, 2, 'h', 7, '.').bytes();
    assertThatThrownBy(() -> SafeUnpickler.load(p))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("memo key 7");
  }

  @Test
  void selfReferencingListTerminates() {
    // l = []; l.append(l)
    byte[] p = new PickleBytes().op(0x80, 2, ']', 'q', 0, 'h', 0, 'a', '.').bytes();
    Object v = SafeUnpickler.load(p);
    assertThat(v).isInstanceOf(ArrayList.class);
    assertThat(((List<?>) v).get(0)).isSameAs(v);
  }

  @Test
  void plainValuesMapToJavaTypes() {
    // {'a': 1, 'b': [1.5, None, True], 'c': (b'xy', 2**70), -2: 'k'} at protocol 4
    byte[] p =
        new PickleBytes()
            .op(0x80, 4, '}', 0x94, '(')
            .shortStr("a")
            .op('K', 1)
            .shortStr("b")
            .op(']', '(', 'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 'N', 0x88, 'e')
            .shortStr("c")
            .op('C', 2, 'x', 'y', 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x86)
            .op('J', 0xfe, 0xff, 0xff, 0xff)
            .shortStr("k")
            .op('u', '.')
            .bytes();
    Object v = SafeUnpickler.load(p);
    assertThat(v).isInstanceOf(LinkedHashMap.class);
    @SuppressWarnings("unchecked")
    Map<Object, Object> m = (Map<Object, Object>) v;
    assertThat(m.keySet()).containsExactly("a", "b", "c", -2L);
    assertThat(m.get("a")).isEqualTo(1L);
    assertThat(m.get("b")).isInstanceOf(ArrayList.class).isEqualTo(java.util.Arrays.asList(1.5, null, true));
    @SuppressWarnings("unchecked")
    List<Object> c = (List<Object>) m.get("c");
    assertThatThrownBy(() -> c.add("x")).isInstanceOf(UnsupportedOperationException.class);
    assertThat((byte[]) c.get(0)).containsExactly('x', 'y');
    assertThat(c.get(1)).isEqualTo(BigInteger.TWO.pow(70));
    assertThat(m.get(-2L)).isEqualTo("k");
  }

  @Test
  void numpyArrayWithWrongByteCountIsRejected() {
    byte[] good = PickleWriter.objectScalar(NpyArray.ofFloats(new float[] {1, 2, 3}, 3));
    // Drop one float from the SHORT_BINBYTES payload: find the 12-byte length and patch it to 8.
    byte[] bad = good.clone();
    int at = -1;
    for (int i = 0; i + 1 < bad.length; i++) {
      if (bad[i] == 'C' && bad[i + 1] == 12) {
        at = i;
      }
    }
    assertThat(at).isPositive();
    byte[] shortened = new byte[bad.length - 4];
    System.arraycopy(bad, 0, shortened, 0, at + 1);
    shortened[at + 1] = 8;
    System.arraycopy(bad, at + 2 + 4, shortened, at + 2, bad.length - at - 6);
    assertThat(((PyObjectArray) SafeUnpickler.load(good)).item()).isInstanceOf(NpyArray.class);
    assertThatThrownBy(() -> SafeUnpickler.load(shortened, Path.of("f.npz"), "info"))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("expected 12 bytes, found 8");
  }
}
