/**
 * Data on disk, in plain Java (no engine): the bottom-up-attention frame files ({@link
 * regionvlp.data.BottomUpNpz}: npz, npy and a safe unpickler that never executes anything), the per-clip
 * folder layout ({@link regionvlp.data.ClipFolder}) and the walk of a whole feature tree ({@link
 * regionvlp.data.FeatureTree}), the memory-mapped feature store ({@link regionvlp.data.FeatureStore}, written by
 * {@link regionvlp.data.FeatureStoreWriter}; docs/FEATURE-STORE.md), where a clip's frames come from ({@link
 * regionvlp.data.ClipSource}: a frame folder, an image file or a clip of a store), caption tables ({@link
 * regionvlp.data.CaptionTable}), weight files (safetensors, ONNX initializers, and {@code torch.save} checkpoints
 * through {@link regionvlp.data.PthFile} and {@link regionvlp.data.StateDict}, whose pickles are interpreted,
 * never run) and the SynthVid generator ({@code data.synth}). Inputs are
 * paths; outputs are records of Java arrays. Corrupt input raises {@link
 * regionvlp.data.InvalidInputFileException} naming the file, what was expected and what was found.
 */
package regionvlp.data;
