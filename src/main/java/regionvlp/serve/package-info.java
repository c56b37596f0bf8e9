/**
 * The search front end over HTTP (JDK {@code com.sun.net.httpserver}, no engine): a JSON API ({@code GET
 * /api/search}, {@code GET /api/info}), a static page from class-path resources that shows the ranked
 * videos and, for each, the regions of its frames with the query words they align to, and, when a frames
 * folder is configured, the frame images. Input is bounded (query length, k, URI and body size) and files
 * are served only from inside the frames folder. {@link regionvlp.serve.LoadTest} drives concurrent
 * clients against a server for {@code bench search}.
 */
package regionvlp.serve;
