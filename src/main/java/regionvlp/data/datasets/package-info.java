/**
 * Dataset readers (METHOD.md 1.3): one {@link regionvlp.data.datasets.DatasetReader} per layout (MSR-VTT,
 * DiDeMo, MSVD, LSMDC, WebVid, CC3M and the generic folder layout), found by name through {@link
 * regionvlp.data.datasets.Datasets}. A reader turns a features root plus metadata into a {@link
 * regionvlp.data.datasets.SplitIndex}: clips with the location of their frame files, captions, and the
 * metadata rows that cannot be used. {@link regionvlp.data.datasets.DataCheck} reads every frame of every
 * clip of an index and reports what is wrong ({@code regionvlp data check}).
 */
package regionvlp.data.datasets;
