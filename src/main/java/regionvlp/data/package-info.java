/**
 * Data on disk, in plain Java (no engine): the bottom-up-attention frame files ({@link
 * regionvlp.data.BottomUpNpz}: npz, npy and a safe unpickler that never executes anything), the per-clip
 * folder layout ({@link regionvlp.data.ClipFolder}) and the walk of a whole feature tree ({@link
 * regionvlp.data.FeatureTree}), the memory-mapped feature store ({@link regionvlp.data.FeatureStore}, written by
 * {@link regionvlp.data.FeatureStoreWriter}; docs/FEATURE-STORE.md), caption tables ({@link regionvlp.data.CaptionTable}),
 * weight files (safetensors, ONNX initializers) and the SynthVid generator ({@code data.synth}). Inputs are
 * paths; outputs are records of Java arrays. Corrupt input raises {@link
 * regionvlp.data.InvalidInputFileException} naming the file, what was expected and what was found.
 */
package regionvlp.data;
