// Glue for the HTML / HTML Extract nodes: cheerio selects, html-to-text renders text (as in n8n).
globalThis.__izaHtmlExtract = function (text) {
  const p = JSON.parse(text);
  const $ = __cheerio.load(String(p.html));
  const modern = p.node === 'html' && p.version >= 1.2;
  const extract = function (sel, v) {
    switch (v.returnValue || 'text') {
      case 'attribute':
        return sel.attr(v.attribute);
      case 'html':
        return sel.html() || undefined;
      case 'value':
        return sel.val();
      default: {
        if (!modern) return sel.text();
        let options;
        if (v.skipSelectors) {
          options = {
            selectors: String(v.skipSelectors).split(',').map(function (s) {
              return { selector: s.trim(), format: 'skip' };
            }),
          };
        }
        return __htmlToText.convert(sel.html() || '', options);
      }
    }
  };
  const finish = function (value) {
    if (value === undefined || typeof value !== 'string') return value;
    const o = p.options || {};
    if (!modern) return o.trimValues === false ? value : value.trim();
    if (o.trimValues) value = value.trim();
    if (o.cleanUpText) {
      value = value.replace(/^\s+|\s+$/g, '').replace(/(\r\n|\n|\r)/gm, '').replace(/\s+/g, ' ');
    }
    return value;
  };
  const out = {};
  for (const v of p.values || []) {
    const found = $(v.cssSelector);
    if (v.returnArray) {
      out[v.key] = [];
      found.each(function (_, el) { out[v.key].push(finish(extract($(el), v))); });
    } else {
      out[v.key] = finish(extract(found, v));
    }
  }
  return JSON.stringify({ value: out }, function (_k, v) { return v === undefined ? { __izaUndef: 1 } : v; });
};
