/**
 * Data on disk, in plain Java (no engine): the bottom-up-attention frame files ({@link
 * regionvlp.data.BottomUpNpz}: npz, npy and a safe unpickler that never executes anything), the per-clip
 * folder layout ({@link regionvlp.data.ClipFolder}), caption tables ({@link regionvlp.data.CaptionTable}),
 * weight files (safetensors, ONNX initializers, and {@code torch.save} checkpoints through {@link
 * regionvlp.data.PthFile} and {@link regionvlp.data.StateDict}, whose pickles are interpreted, never run) and
 * the SynthVid generator ({@code data.synth}). Inputs are
 * paths; outputs are records of Java arrays. Corrupt input raises {@link
 * regionvlp.data.InvalidInputFileException} naming the file, what was expected and what was found.
 */
package regionvlp.data;
