package regionvlp.data;

import java.util.LinkedHashMap;
import java.util.Map;

/** Hand-made torch.save files for tests in any package (no Python needed). */
public final class PthTestFiles {
  private PthTestFiles() {}

  /**
   * The authors' checkpoint shape with a planted call: {@code {'state_dict': OrderedDict(w=float32 tensor[4] of
   * storage '0'), 'config': module.function(command)}}, as protocol-2 pickle bytes.
   */
  public static byte[] checkpointWithPlantedCall(String module, String function, String command) {
    return new PickleBytes()
        .op(0x80, 2, '}', '(')
        .str("state_dict")
        .op('c').text("collections\nOrderedDict\n").op(')', 'R', '(')
        .str("w")
        .op('c').text("torch._utils\n_rebuild_tensor_v2\n")
        .op('(', '(').str("storage").op('c').text("torch\nFloatStorage\n").str("0").str("cpu").op('K', 4, 't', 'Q')
        .op('K', 0, 'K', 4, 0x85, 'K', 1, 0x85, 0x89)
        .op('c').text("collections\nOrderedDict\n").op(')', 'R', 't', 'R', 'u')
        .str("config")
        .op('c').text(module + "\n" + function + "\n")
        .str(command).op(0x85, 'R')
        .op('u', '.')
        .bytes();
  }

  /** A torch zip ({@code archive/data.pkl}, one 16-byte storage {@code archive/data/0}, {@code version}). */
  public static byte[] torchZip(byte[] pickle) throws java.io.IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("archive/data.pkl", pickle);
    entries.put("archive/data/0", new byte[16]);
    entries.put("archive/version", "3\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    return PickleBytes.zip(entries);
  }
}
