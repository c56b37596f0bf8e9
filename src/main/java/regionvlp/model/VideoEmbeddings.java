package regionvlp.model;

import ai.djl.ndarray.NDArray;

/**
 * Output of the region transformer.
 *
 * @param global CLS embedding [B, E] (not normalised)
 * @param local region-token embeddings [B, F*R, E], frame-major
 * @param keyMask additive region mask [B, F*R]: 0 for real regions, -100 for padding
 */
public record VideoEmbeddings(NDArray global, NDArray local, NDArray keyMask) {}
