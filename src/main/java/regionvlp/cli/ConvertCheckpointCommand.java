package regionvlp.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import regionvlp.model.AuthorsCheckpoint;
import regionvlp.run.CheckpointConversion;
import regionvlp.run.Json;

/** {@code regionvlp convert-checkpoint IN OUT}: a foreign checkpoint to ours. */
@Command(name = "convert-checkpoint", mixinStandardHelpOptions = true,
    description = {"Convert the authors' DemoVLP .pth (read safely: its pickle is interpreted, never run) to a "
        + "regionvlp checkpoint folder (model.safetensors, config.json, provenance.json, source.json).",
        "The temporal embedding is inflated with zeros to --frames; captions use the bundled uncased BERT "
            + "vocabulary padded to 100 tokens, as the original."},
    footer = {"", "Examples:",
        "  regionvlp convert-checkpoint model_best.pth ckpt/demovlp-msrvtt",
        "  regionvlp convert-checkpoint cc_webvid_pretrained.pth ckpt/demovlp-pt --frames 8 --json",
        "  regionvlp convert-checkpoint models/distilbert-base-uncased ckpt/start   # HF text tower + fresh video",
        "  regionvlp eval --checkpoint ckpt/demovlp-pt --dataset tsv --features F --meta test.tsv"})
final class ConvertCheckpointCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "IN", description = "The authors' .pth, or a Hugging Face text model folder (config.json, "
      + "model.safetensors, tokenizer.json).")
  Path in;

  @Parameters(index = "1", paramLabel = "OUT", description = "Checkpoint folder to create (must not exist).")
  Path out;

  @Option(names = "--frames", description = "Frames of the temporal embedding (default: 8, or the checkpoint's "
      + "count if larger; extra frames are zeros).")
  int frames;

  @Option(names = "--video-heads", description = "Attention heads of the region transformer (default: width/64, "
      + "12 for the released 768-wide model).")
  int videoHeads;

  @Option(names = "--text-heads", description = "Attention heads of DistilBERT (default: width/64).")
  int textHeads;

  @Option(names = "--config", description = "For a Hugging Face folder: the preset or config file of the model "
      + "built around its text tower (default: demovlp-finetune).")
  String config = "demovlp-finetune";

  @Option(names = "--set", description = "For a Hugging Face folder: override a config key, e.g. "
      + "model.video.depth=4.")
  java.util.List<String> sets = new java.util.ArrayList<>();

  @Option(names = "--json", description = "Print one JSON object on the last line.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Console console = new Console(System.err);
    console.log("converting " + in + " -> " + out);
    CheckpointConversion.Result r = CheckpointConversion.convert(in, out,
        new AuthorsCheckpoint.Options(frames, videoHeads, textHeads), config, sets);
    r.lines().forEach(System.out::println);
    System.out.println("checkpoint: " + r.out());
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("checkpoint", r.out().toString());
      o.put("source", in.toString());
      o.put("model", r.config().model());
      o.put("numFrames", r.config().data().numFrames());
      o.put("report", r.lines());
      System.out.println(Json.COMPACT.writeValueAsString(o));
    }
    return 0;
  }
}
