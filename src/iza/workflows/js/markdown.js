// Glue for the Markdown node: HTML -> Markdown with node-html-markdown, Markdown -> HTML with
// showdown (the two libraries n8n's Markdown node uses). JSON text in, JSON text out.
globalThis.__izaHtmlToMarkdown = function (text) {
  const p = JSON.parse(text);
  const value = __nhm.NodeHtmlMarkdown.translate(String(p.html), p.options || {});
  return JSON.stringify({ value: value });
};
globalThis.__izaMarkdownToHtml = function (text) {
  const p = JSON.parse(text);
  const converter = new showdown.Converter();
  for (const key of Object.keys(p.options || {})) converter.setOption(key, p.options[key]);
  return JSON.stringify({ value: converter.makeHtml(String(p.markdown)) });
};
