/**
 * The DemoVLP dual encoder on DJL NDArrays over a named-parameter registry ({@link regionvlp.model.Params}).
 *
 * <p>Glossary, paper / original code to ours:
 *
 * <ul>
 *   <li>ObjectTransformer (video tower) = {@link regionvlp.model.VideoEncoder}; its "space" attention
 *       (regions attend within their frame plus CLS; CLS attends to all) = {@code Attention.space}.
 *   <li>DistilBERT text model + {@code txt_proj} = {@link regionvlp.model.TextEncoder}; pretrained text
 *       transformers load into it from MiniLM ({@link regionvlp.model.PretrainedText}) or from a Hugging
 *       Face BERT / DistilBERT folder ({@link regionvlp.model.HfTextCheckpoint}).
 *   <li>ObjectRelation = {@link regionvlp.model.DualEncoder}; v_g / v_loc = {@link
 *       regionvlp.model.VideoEmbeddings} global / local; u_g / u_loc = {@link
 *       regionvlp.model.TextEmbeddings} global / local.
 *   <li>object_num (R) = {@code numRegions}; num_frames (F) = {@code maxFrames} / {@code data.numFrames};
 *       embed_dim (768) = {@code width}; projection dim (256) = {@code embedDim}.
 * </ul>
 *
 * Parameter names follow the original state dict so that released checkpoints map by name.
 */
package regionvlp.model;
