package regionvlp.model;

import ai.djl.ndarray.NDArray;

/**
 * Output of the text tower after its head (ReLU, then Linear to E, on every token).
 *
 * @param global [CLS] embedding [B, E] (not normalised)
 * @param local word-slot embeddings [B, L-1, E]: tokens 1.., including [SEP] and [PAD] slots
 * @param keyMask additive word mask [B, L-1]: 0 for real tokens, -100 for padding
 */
public record TextEmbeddings(NDArray global, NDArray local, NDArray keyMask) {}
