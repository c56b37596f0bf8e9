package regionvlp.data.synth;

import java.nio.file.Path;

/**
 * What {@link SynthVid#generate} produced.
 *
 * @param outDir corpus root
 * @param trainVideos videos written per split
 * @param valVideos see trainVideos
 * @param testVideos see trainVideos
 * @param trainCaptions rows of train.tsv
 * @param frameFiles npz files written
 * @param skippedCaptions captions-file mode: rows naming no vocabulary noun (0 otherwise)
 * @param unusedCaptions captions-file mode: usable rows beyond the requested split sizes (0 otherwise)
 * @param oracle bag-of-objects oracle on the test split
 * @param seconds wall time
 */
public record SynthReport(
    Path outDir, int trainVideos, int valVideos, int testVideos, int trainCaptions, long frameFiles,
    int skippedCaptions, int unusedCaptions, BagOfObjectsOracle.Result oracle, double seconds) {}
