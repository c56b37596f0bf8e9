package regionvlp.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The torch.save reader against files written by torch itself ({@code tools/make_pth_fixture.py}, torch 1.13:
 * {@code tensors.pth} in the zip layout, {@code tensors_legacy.pth} in the pre-1.6 layout, the expected values in
 * {@code tensors.json}), and against hand-made malicious pickles.
 */
class PthFileTest {
  @TempDir Path tmp;

  static Path golden(String name) {
    try {
      return Path.of(PthFileTest.class.getResource("/golden/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new AssertionError("golden/" + name + " missing (run tools/make_pth_fixture.py)", e);
    }
  }

  static JsonNode json(String name) throws Exception {
    try (InputStream in = PthFileTest.class.getResourceAsStream("/golden/" + name)) {
      assertThat(in).as("golden/" + name + " (run tools/make_pth_fixture.py)").isNotNull();
      return new ObjectMapper().readTree(in);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"tensors.pth", "tensors_legacy.pth"})
  void everyDtypeAndLayoutReadsAsTorchWroteIt(String name) throws Exception {
    JsonNode expected = json("tensors.json").path("tensors");
    try (PthFile f = PthFile.open(golden(name))) {
      assertThat(f.layout()).isEqualTo(name.contains("legacy") ? "legacy" : "zip");
      @SuppressWarnings("unchecked")
      Map<Object, Object> root = (Map<Object, Object>) f.root();
      assertThat(root.keySet()).containsExactlyElementsOf(iterable(expected.fieldNames()));
      for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        TorchTensor t = (TorchTensor) root.get(e.getKey());
        JsonNode want = e.getValue();
        assertThat(t.dtype()).as(e.getKey()).isEqualTo(want.path("dtype").asText());
        assertThat(t.shape()).as(e.getKey()).containsExactly(longs(want.path("shape")));
        assertThat(t.stride()).as(e.getKey()).containsExactly(longs(want.path("stride")));
        if (t.dtype().equals("int64") || t.dtype().equals("bool")) {
          long[] got = f.longs(t);
          long[] w = new long[want.path("values").size()];
          for (int i = 0; i < w.length; i++) {
            w[i] = want.path("values").get(i).asLong();
          }
          assertThat(got).as(e.getKey()).containsExactly(w);
        } else {
          float[] got = f.floats(t);
          assertThat(got).as(e.getKey()).hasSize(want.path("values").size());
          for (int i = 0; i < got.length; i++) {
            // torch widened every value to float64 for the JSON; float32 of it must be exact.
            assertThat(got[i]).as("%s[%d]", e.getKey(), i).isEqualTo((float) want.path("values").get(i).asDouble());
          }
        }
      }
      TorchTensor view = (TorchTensor) root.get("view_at_offset");
      assertThat(view.isContiguous()).isFalse();
      assertThat(view.storageKey()).isEqualTo(((TorchTensor) root.get("base")).storageKey());
      assertThat(((TorchTensor) root.get("f32_transposed")).isContiguous()).isFalse();
      assertThatThrownBy(() -> f.longs((TorchTensor) root.get("f16")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("expected an integer tensor, found float16");
    }
  }

  private static long[] longs(JsonNode n) {
    long[] out = new long[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asLong();
    }
    return out;
  }

  private static <T> Iterable<T> iterable(Iterator<T> it) {
    List<T> l = new java.util.ArrayList<>();
    it.forEachRemaining(l::add);
    return l;
  }

  @Test
  void theAuthorsCheckpointLayoutKeepsItsConfigObjectAsInertData() throws Exception {
    try (PthFile f = PthFile.open(golden("demovlp_tiny.pth"))) {
      @SuppressWarnings("unchecked")
      Map<Object, Object> root = (Map<Object, Object>) f.root();
      assertThat(root.keySet()).containsExactly("arch", "epoch", "state_dict", "optimizer", "monitor_best",
          "config");
      assertThat(root.get("epoch")).isEqualTo(7L);
      PyObject config = (PyObject) root.get("config");
      assertThat(config.className()).isEqualTo("parse_config_dist_multi.ConfigParser");
      PyObject args = (PyObject) config.attributes().get("args");
      assertThat(args.className()).isEqualTo("argparse.Namespace");
      assertThat(args.attributes().get("world_size")).isEqualTo(8L);
      PyObject saveDir = (PyObject) config.attributes().get("_save_dir");
      assertThat(saveDir.className()).isEqualTo("pathlib.PosixPath");
      assertThat(saveDir.args()).containsExactly("exps", "models", "pt", "0317_120000");
      @SuppressWarnings("unchecked")
      Map<Object, Object> cfg = (Map<Object, Object>) config.attributes().get("_config");
      assertThat(cfg.get("name")).isNotNull();
      @SuppressWarnings("unchecked")
      Map<Object, Object> sd = (Map<Object, Object>) root.get("state_dict");
      assertThat(sd.keySet()).allMatch(k -> ((String) k).startsWith("module."));
      TorchTensor cls = (TorchTensor) sd.get("module.object_model.cls_token");
      assertThat(cls.shape()).containsExactly(1, 1, 12);
      assertThat(f.floats(cls)).hasSize(12);
      // The optimiser's moments are tensors too, read only if asked for.
      @SuppressWarnings("unchecked")
      Map<Object, Object> opt = (Map<Object, Object>) root.get("optimizer");
      assertThat(opt).containsKeys("state", "param_groups");
    }
  }

  // ---- refusal of code, with proof that nothing ran ----

  private Path marker() {
    return tmp.resolve("pwned-" + UUID.randomUUID());
  }

  /** A torch zip whose data.pkl is {@code pickle}, with one real storage entry beside it. */
  private Path pth(String name, byte[] pickle) throws Exception {
    Path f = tmp.resolve(name);
    Files.write(f, PthTestFiles.torchZip(pickle));
    return f;
  }

  private static byte[] checkpointWithPlantedCall(String module, String function, String command) {
    return PthTestFiles.checkpointWithPlantedCall(module, function, command);
  }

  @Test
  void aPlantedOsSystemIsRefusedWithItsNameAndNothingRuns() throws Exception {
    Path marker = marker();
    Path f = pth("evil.pth", checkpointWithPlantedCall("os", "system", "touch " + marker));
    assertThatThrownBy(() -> PthFile.open(f))
        .isInstanceOf(ForbiddenGlobalException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("archive/data.pkl")
        .hasMessageContaining("'os.system'")
        .hasMessageContaining("nothing was executed")
        .satisfies(e -> assertThat(((ForbiddenGlobalException) e).module()).isEqualTo("os"));
    assertThat(marker).doesNotExist();
  }

  @Test
  void theSameCheckpointWithoutThePlantIsReadable() throws Exception {
    // Control for the test above: the only difference is the planted global, so the refusal is about it.
    Path f = pth("benign.pth", checkpointWithPlantedCall("argparse", "Namespace", "harmless"));
    try (PthFile p = PthFile.open(f)) {
      @SuppressWarnings("unchecked")
      Map<Object, Object> root = (Map<Object, Object>) p.root();
      assertThat(((PyObject) root.get("config")).args()).containsExactly("harmless");
      @SuppressWarnings("unchecked")
      Map<Object, Object> sd = (Map<Object, Object>) root.get("state_dict");
      assertThat(p.floats((TorchTensor) sd.get("w"))).containsExactly(0f, 0f, 0f, 0f);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"posix.system", "subprocess.Popen", "subprocess.check_output", "builtins.eval",
      "builtins.exec", "builtins.getattr", "builtins.__import__", "__builtin__.eval", "os.path.join",
      "importlib.import_module", "pickle.loads", "torch.load", "torch.hub.load", "shutil.rmtree",
      "operator.attrgetter", "functools.partial", "sys.exit", "numpy.load"})
  void globalsThatWouldRunCodeAreRefused(String global) throws Exception {
    Path marker = marker();
    int dot = global.lastIndexOf('.');
    Path f = pth("evil-" + global + ".pth",
        checkpointWithPlantedCall(global.substring(0, dot), global.substring(dot + 1), "touch " + marker));
    assertThatThrownBy(() -> PthFile.open(f))
        .isInstanceOf(ForbiddenGlobalException.class)
        .hasMessageContaining("'" + global + "'");
    assertThat(marker).doesNotExist();
  }

  @Test
  void containerAndTypeGlobalsBecomePlainValues() throws Exception {
    // [set([1, 2]), torch.Size((2, 3)), torch.device('cpu'), copyreg._reconstructor(pkg.Cfg, object, None),
    //  torch.float16]
    byte[] p = new PickleBytes()
        .op(0x80, 2, ']', '(')
        .op('c').text("builtins\nset\n").op(']', '(', 'K', 1, 'K', 2, 'e', 0x85, 'R')
        .op('c').text("torch\nSize\n").op('K', 2, 'K', 3, 0x86, 0x85, 'R')
        .op('c').text("torch\ndevice\n").str("cpu").op(0x85, 'R')
        .op('c').text("copyreg\n_reconstructor\n").op('c').text("pkg\nCfg\n").op('c').text("builtins\nobject\n")
        .op('N', 0x87, 'R', '}').str("k").op('K', 5, 's', 'b')
        .op('c').text("torch\nfloat16\n")
        .op('e', '.')
        .bytes();
    try (PthFile f = PthFile.open(pth("values.pth", p))) {
      List<?> items = (List<?>) f.root();
      assertThat(items.get(0)).isEqualTo(new java.util.LinkedHashSet<>(List.of(1L, 2L)));
      assertThat(items.get(1)).isEqualTo(List.of(2L, 3L));
      assertThat(((PyObject) items.get(2)).className()).isEqualTo("torch.device");
      PyObject cfg = (PyObject) items.get(3);
      assertThat(cfg.className()).isEqualTo("pkg.Cfg");
      assertThat(cfg.attributes()).containsEntry("k", 5L);
      assertThat(items.get(4).toString()).contains("torch.float16");
    }
  }

  @Test
  void aStorageThatIsTooSmallForItsTensorIsAnErrorNamingIt() throws Exception {
    // The pickle says 4 float32 elements (16 bytes) but the tensor asks for 9 at stride 1.
    byte[] p = new PickleBytes()
        .op(0x80, 2)
        .op('c').text("torch._utils\n_rebuild_tensor_v2\n")
        .op('(', '(').str("storage").op('c').text("torch\nFloatStorage\n").str("0").str("cpu").op('K', 4, 't', 'Q')
        .op('K', 0, 'K', 9, 0x85, 'K', 1, 0x85, 0x89)
        .op('c').text("collections\nOrderedDict\n").op(')', 'R', 't', 'R', '.')
        .bytes();
    Path f = pth("short.pth", p);
    assertThatThrownBy(() -> PthFile.open(f))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("needs 9 elements, storage '0' has 4");
  }

  @Test
  void aMissingStorageEntryIsAnErrorNamingIt() throws Exception {
    byte[] p = new PickleBytes()
        .op(0x80, 2)
        .op('c').text("torch._utils\n_rebuild_tensor_v2\n")
        .op('(', '(').str("storage").op('c').text("torch\nFloatStorage\n").str("7").str("cpu").op('K', 4, 't', 'Q')
        .op('K', 0, 'K', 4, 0x85, 'K', 1, 0x85, 0x89)
        .op('c').text("collections\nOrderedDict\n").op(')', 'R', 't', 'R', '.')
        .bytes();
    Path f = pth("missing.pth", p);
    assertThatThrownBy(() -> PthFile.open(f))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("storage '7' has no entry archive/data/7");
  }

  @Test
  void notATorchFileIsRefusedClearly() throws Exception {
    Path f = tmp.resolve("notes.pth");
    Files.writeString(f, "hello");
    assertThatThrownBy(() -> PthFile.open(f))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining("expected a torch.save file");
    Path z = tmp.resolve("other.zip");
    Files.write(z, PickleBytes.zip(Map.of("readme.txt", new byte[3])));
    assertThatThrownBy(() -> PthFile.open(z))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("exactly one <name>/data.pkl entry, found 0");
    assertThatThrownBy(() -> PthFile.open(tmp.resolve("absent.pth")))
        .isInstanceOf(InvalidInputFileException.class)
        .hasMessageContaining("no such file");
  }
}
