// n8n-style data transformation functions (string/array/number/object/date extensions),
// installed as non-enumerable prototype methods so that expressions like
// `{{ $json.email.extractDomain() }}` or `{{ $json.list.sum() }}` work. Written for IZA from
// the behaviour described in n8n's documentation.
(function () {
  "use strict";
  var DateTime = luxon.DateTime;
  function def(proto, name, fn) {
    if (Object.prototype.hasOwnProperty.call(proto, name)) return;
    Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
  function isEmpty(v) {
    if (v === null || v === undefined) return true;
    if (typeof v === "string" || Array.isArray(v)) return v.length === 0;
    if (typeof v === "object") return Object.keys(v).length === 0;
    return false;
  }
  // ---- String ----
  var Sp = String.prototype;
  def(Sp, "isEmpty", function () { return this.length === 0; });
  def(Sp, "isNotEmpty", function () { return this.length > 0; });
  def(Sp, "toNumber", function () { var n = Number(this); if (isNaN(n)) throw new Error("Could not convert to number"); return n; });
  def(Sp, "toInt", function () { return parseInt(this, 10); });
  def(Sp, "toFloat", function () { return parseFloat(this); });
  def(Sp, "toBoolean", function () { var s = this.toLowerCase().trim(); return !(s === "" || s === "false" || s === "0" || s === "no"); });
  def(Sp, "toDateTime", function (fmt) {
    var s = String(this);
    var d = fmt ? DateTime.fromFormat(s, fmt) : DateTime.fromISO(s);
    if (!d.isValid) d = DateTime.fromRFC2822(s);
    if (!d.isValid) d = DateTime.fromHTTP(s);
    if (!d.isValid) d = DateTime.fromSQL(s);
    if (!d.isValid) { var js = new Date(s); if (!isNaN(js.getTime())) d = DateTime.fromJSDate(js); }
    return d;
  });
  def(Sp, "toDate", function () { return new Date(String(this)); });
  def(Sp, "toTitleCase", function () { return this.replace(/\w\S*/g, function (w) { return w.charAt(0).toUpperCase() + w.slice(1).toLowerCase(); }); });
  def(Sp, "toSentenceCase", function () { var s = this.toLowerCase(); return s.charAt(0).toUpperCase() + s.slice(1); });
  def(Sp, "toSnakeCase", function () { return this.replace(/([a-z])([A-Z])/g, "$1_$2").replace(/[\s\-]+/g, "_").toLowerCase(); });
  def(Sp, "toCamelCase", function () { return this.toLowerCase().replace(/[\s_\-]+(\w)/g, function (_m, c) { return c.toUpperCase(); }); });
  def(Sp, "capitalize", function () { return this.charAt(0).toUpperCase() + this.slice(1); });
  def(Sp, "extractDomain", function () {
    var s = String(this); var at = s.lastIndexOf("@");
    if (at >= 0) return s.slice(at + 1);
    var m = /^(?:[a-z]+:\/\/)?([^\/:?#]+)/i.exec(s); return m ? m[1] : undefined;
  });
  def(Sp, "extractEmail", function () { var m = /[\w.+-]+@[\w-]+\.[\w.-]+/.exec(this); return m ? m[0] : undefined; });
  def(Sp, "extractUrl", function () { var m = /https?:\/\/[^\s]+/.exec(this); return m ? m[0] : undefined; });
  def(Sp, "isEmail", function () { return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(this); });
  def(Sp, "isUrl", function () { return /^https?:\/\/[^\s]+$/.test(this); });
  def(Sp, "isNumeric", function () { return this.trim() !== "" && !isNaN(Number(this)); });
  def(Sp, "removeTags", function () { return this.replace(/<[^>]*>/g, ""); });
  def(Sp, "removeMarkdown", function () { return this.replace(/[*_`#>~]/g, ""); });
  def(Sp, "replaceSpecialChars", function () { return this.normalize("NFD").replace(/[\u0300-\u036f]/g, ""); });
  def(Sp, "quote", function (q) { q = q || '"'; return q + this + q; });
  def(Sp, "urlEncode", function () { return encodeURIComponent(this); });
  def(Sp, "urlDecode", function () { return decodeURIComponent(this); });
  def(Sp, "base64Encode", function () { return btoa(unescape(encodeURIComponent(this))); });
  def(Sp, "base64Decode", function () { return decodeURIComponent(escape(atob(this))); });
  def(Sp, "parseJson", function () { return JSON.parse(this); });
  def(Sp, "length_", function () { return this.length; });
  // ---- Array ----
  var Ap = Array.prototype;
  def(Ap, "isEmpty", function () { return this.length === 0; });
  def(Ap, "isNotEmpty", function () { return this.length > 0; });
  def(Ap, "first", function () { return this[0]; });
  def(Ap, "last", function () { return this[this.length - 1]; });
  def(Ap, "sum", function () { return this.reduce(function (a, b) { return a + Number(b); }, 0); });
  def(Ap, "average", function () { return this.length ? this.sum() / this.length : 0; });
  def(Ap, "max", function () { return Math.max.apply(null, this); });
  def(Ap, "min", function () { return Math.min.apply(null, this); });
  def(Ap, "compact", function () { return this.filter(function (v) { return v !== null && v !== undefined && v !== ""; }); });
  def(Ap, "pluck", function () {
    var keys = Array.prototype.slice.call(arguments);
    return this.map(function (o) {
      if (!o || typeof o !== "object") return null;
      if (keys.length === 1) return o[keys[0]];
      var r = {}; keys.forEach(function (k) { r[k] = o[k]; }); return r;
    });
  });
  function key(v) { return typeof v === "object" ? JSON.stringify(v) : typeof v + ":" + String(v); }
  def(Ap, "unique", function () {
    var seen = {}; var fields = Array.prototype.slice.call(arguments);
    return this.filter(function (v) {
      var k = fields.length ? key(fields.map(function (f) { return v && v[f]; })) : key(v);
      if (seen[k]) return false; seen[k] = 1; return true;
    });
  });
  def(Ap, "removeDuplicates", Ap.unique);
  def(Ap, "chunk", function (n) { var r = []; for (var i = 0; i < this.length; i += n) r.push(this.slice(i, i + n)); return r; });
  def(Ap, "randomItem", function () { return this[Math.floor(Math.random() * this.length)]; });
  def(Ap, "difference", function (o) { return this.filter(function (v) { return o.indexOf(v) < 0; }); });
  def(Ap, "intersection", function (o) { return this.filter(function (v) { return o.indexOf(v) >= 0; }); });
  def(Ap, "union", function (o) { return this.concat(o).unique(); });
  def(Ap, "merge", function () { return Object.assign.apply(null, [{}].concat(this)); });
  def(Ap, "toJsonString", function () { return JSON.stringify(this); });
  def(Ap, "renameKeys", function () { return this; });
  // ---- Number ----
  var Np = Number.prototype;
  def(Np, "round", function (d) { var f = Math.pow(10, d || 0); return Math.round(this * f) / f; });
  def(Np, "floor", function () { return Math.floor(this); });
  def(Np, "ceil", function () { return Math.ceil(this); });
  def(Np, "abs", function () { return Math.abs(this); });
  def(Np, "isEven", function () { return this % 2 === 0; });
  def(Np, "isOdd", function () { return Math.abs(this % 2) === 1; });
  def(Np, "isInteger", function () { return Number.isInteger(Number(this)); });
  def(Np, "toBoolean", function () { return Number(this) !== 0; });
  def(Np, "toDateTime", function (fmt) {
    var n = Number(this);
    if (fmt === "s") return DateTime.fromSeconds(n);
    if (fmt === "ms" || fmt === undefined) return DateTime.fromMillis(n);
    return DateTime.fromMillis(n);
  });
  def(Np, "format", function (locale, opts) { return new Intl.NumberFormat(locale, opts).format(this); });
  // ---- Boolean ----
  def(Boolean.prototype, "toNumber", function () { return this.valueOf() ? 1 : 0; });
  // ---- Object (non-enumerable, only names unlikely to collide with data) ----
  var Op = Object.prototype;
  def(Op, "isEmpty", function () { return isEmpty(this); });
  def(Op, "isNotEmpty", function () { return !isEmpty(this); });
  def(Op, "hasField", function (k) { return Object.prototype.hasOwnProperty.call(this, k); });
  def(Op, "removeField", function (k) { var o = Object.assign({}, this); delete o[k]; return o; });
  def(Op, "toJsonString", function () { return JSON.stringify(this); });
  def(Op, "keepFieldsContaining", function (s) {
    var o = {}; var self = this;
    Object.keys(this).forEach(function (k) { if (String(self[k]).indexOf(s) >= 0) o[k] = self[k]; }); return o;
  });
  // ---- Date ----
  def(Date.prototype, "toDateTime", function () { return DateTime.fromJSDate(this); });
  def(DateTime.prototype, "toDateTime", function () { return this; });
  def(DateTime.prototype, "isBetween", function (a, b) { return this > a && this < b; });
  def(DateTime.prototype, "format", function (f) { return this.toFormat(f); });
  def(DateTime.prototype, "beginningOf", function (u) { return this.startOf(u || "week"); });
  def(DateTime.prototype, "extract", function (u) { return this.get(u || "week"); });
})();
