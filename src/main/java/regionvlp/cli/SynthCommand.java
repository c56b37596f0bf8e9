package regionvlp.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import regionvlp.data.synth.SynthReport;
import regionvlp.data.synth.SynthVid;

/** {@code regionvlp synth}: writes the SynthVid corpus in the bottom-up-attention layout. */
@Command(name = "synth", mixinStandardHelpOptions = true,
    description = "Generate SynthVid: real .npz frame files with pickled info dicts, train/val/test TSVs.",
    footer = {"", "Examples:",
        "  regionvlp synth --out data/synthvid --feature-dim 64",
        "  regionvlp synth --out data/msrvtt-synth --layout msrvtt --feature-dim 64",
        "  regionvlp synth --out data/webvid-synth --layout webvid --feature-dim 64",
        "  regionvlp synth --out data/vg --vocab objects_vocab.txt --feature-dim 2048 --compressed"})
final class SynthCommand implements Callable<Integer> {
  @Option(names = "--out", required = true, description = "Output folder (features/, train.tsv, val.tsv, test.tsv or the MSR-VTT files, synth.json).")
  Path out;

  @Mixin SynthOptions options;

  @Option(names = "--layout", description = "folder (features/<id>/<k>.npz + train/val/test.tsv) or msrvtt "
      + "(Frozen-in-Time's MSR-VTT layout: annotation/MSR_VTT.json, jsfusion lists and caption index, "
      + "features/videoN/<k>.npz; read it with --dataset msrvtt), webvid (features/{train,val}/<page_dir>/<videoid>/"
      + "<k>.npz + webvid_{training,validation}_success_full.tsv) or cc3m (frame 0 of each video as the image:"
      + " features/{train,val}/<bucket>/<id>_1.npz + cc3m_{training,validation}_success_full.tsv). Default:"
      + " ${DEFAULT-VALUE}.")
  String layout = "folder";

  @Override
  public Integer call() {
    SynthVid.Layout l = switch (layout) {
      case "folder" -> SynthVid.Layout.FOLDER;
      case "msrvtt" -> SynthVid.Layout.MSRVTT;
      case "webvid" -> SynthVid.Layout.WEBVID;
      case "cc3m" -> SynthVid.Layout.CC3M;
      default -> throw new IllegalArgumentException("--layout must be folder, msrvtt, webvid or cc3m, found '"
          + layout + "'");
    };
    SynthReport r = generate(options.toConfig(2048), out, new Console(System.err), l);
    System.out.print(summary(r));
    return 0;
  }

  static SynthReport generate(regionvlp.data.synth.SynthConfig cfg, Path out, Console console) {
    return generate(cfg, out, console, SynthVid.Layout.FOLDER);
  }

  static SynthReport generate(regionvlp.data.synth.SynthConfig cfg, Path out, Console console,
      SynthVid.Layout layout) {
    console.log(String.format(Locale.ROOT, "synth: %d/%d/%d videos x %d frames, D=%d, seed %d, %s layout -> %s",
        cfg.trainVideos(), cfg.valVideos(), cfg.testVideos(), cfg.framesPerVideo(), cfg.featureDim(),
        cfg.seed(), layout.name().toLowerCase(Locale.ROOT), out));
    return SynthVid.generate(cfg, out, (done, total) -> console.progress("synth", done, total), layout);
  }

  static String summary(SynthReport r) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "SynthVid in %s: %d train videos (%d captions), %d val, %d test; "
        + "%d frame files in %.1f s%n", r.outDir(), r.trainVideos(), r.trainCaptions(), r.valVideos(),
        r.testVideos(), r.frameFiles(), r.seconds()));
    if (r.skippedCaptions() > 0) {
      sb.append(String.format(Locale.ROOT, "  %d captions named no vocabulary noun and were skipped%n",
          r.skippedCaptions()));
    }
    sb.append(String.format(Locale.ROOT, "  bag-of-objects oracle on the test split (%d queries, ties shared): "
        + "t2v R@1 %.1f%%  R@5 %.1f%%  R@10 %.1f%%%n", r.oracle().queries(), 100 * r.oracle().r1(),
        100 * r.oracle().r5(), 100 * r.oracle().r10()));
    return sb.toString();
  }
}
