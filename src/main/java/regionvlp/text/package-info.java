/**
 * Captions to token ids: the uncased BERT WordPiece tokenizer (DJL Hugging Face tokenizers), padded to a
 * fixed length as the original does. Output: {@link regionvlp.text.TokenizedCaptions} [n, L].
 */
package regionvlp.text;
