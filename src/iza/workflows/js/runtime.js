// IZA workflow runtime inside V8: n8n-style expression helpers and the Code node sandbox.
// Loaded once per JS context after luxon.min.js. Python talks to it through `__iza`, always
// exchanging JSON text so that no live JS object crosses the boundary.
var __iza = (function () {
  "use strict";
  var DateTime = luxon.DateTime;
  var S = { contexts: {}, runData: {}, workflow: {}, execution: {}, nodes: {}, fns: {}, staticData: {} };

  function configure(cfgText) {
    var cfg = JSON.parse(cfgText);
    var zone = cfg.timezone || "America/New_York";
    if (S.zone !== zone) { luxon.Settings.defaultZone = zone; S.zone = zone; }
    S.now = null; S.today = null; S.offsetMs = 0;
    S.runData = {};
    S.contexts = {};
    S.workflow = cfg.workflow || {};
    S.execution = cfg.execution || {};
    S.nodes = cfg.nodes || {};
    return 0;
  }

  function setRun(name, runText) {
    var run = JSON.parse(runText);
    (S.runData[name] = S.runData[name] || []).push(run);
    return 0;
  }

  function setContext(name, text) {
    S.contexts[name] = JSON.parse(text);
    return 0;
  }

  function runOf(name, runIndex) {
    var runs = S.runData[name];
    if (!runs || !runs.length) return null;
    if (runIndex === undefined || runIndex === null || runIndex < 0) return runs[runs.length - 1];
    return runs[runIndex] || null;
  }

  function outputItems(name, outputIndex, runIndex) {
    var run = runOf(name, runIndex);
    if (!run) return [];
    var out = (run.main || [])[outputIndex || 0];
    return out || [];
  }

  function nodeMustExist(name) {
    if (!Object.prototype.hasOwnProperty.call(S.nodes, name)) {
      var e = new Error("Referenced node doesn't exist: " + name);
      e.description = "The node '" + name + "' is not in this workflow";
      throw e;
    }
  }

  function nodeMustHaveRun(name) {
    nodeMustExist(name);
    if (!S.runData[name] || !S.runData[name].length) {
      throw new Error("Node '" + name + "' hasn't been executed");
    }
  }

  // Follow pairedItem links from the current input item back to `target`.
  function pairedItem(target, ctx) {
    nodeMustHaveRun(target);
    var src = ctx.source && ctx.source[0];
    var idx = ctx.itemIndex || 0;
    for (var guard = 0; src && guard < 500; guard++) {
      var items = outputItems(src.previousNode, src.previousNodeOutput || 0, src.previousNodeRun);
      if (src.previousNode === target) {
        return items[idx] || (items.length === 1 ? items[0] : undefined);
      }
      var it = items[idx];
      if (!it) break;
      var pi = it.pairedItem === undefined || it.pairedItem === null ? { item: 0 } : it.pairedItem;
      if (Array.isArray(pi)) pi = pi[0] || { item: 0 };
      if (typeof pi === "number") pi = { item: pi };
      var run = runOf(src.previousNode, src.previousNodeRun);
      src = run && run.source ? run.source[pi.input || 0] : null;
      idx = pi.item || 0;
    }
    var fallback = outputItems(target, 0);
    return fallback[ctx.itemIndex] || fallback[0];
  }

  function nodeProxy(name, ctx) {
    nodeMustExist(name);
    return {
      all: function (branch, run) {
        nodeMustHaveRun(name);
        if (run !== undefined && run !== null && run >= 0 && !runOf(name, run)) {
          throw new Error("Run " + run + " of node '" + name + "' not found");
        }
        return outputItems(name, branch || 0, run);
      },
      first: function (branch, run) { nodeMustHaveRun(name); return outputItems(name, branch || 0, run)[0]; },
      last: function (branch, run) {
        nodeMustHaveRun(name); var a = outputItems(name, branch || 0, run); return a[a.length - 1];
      },
      get item() { return pairedItem(name, ctx); },
      pairedItem: function () { return pairedItem(name, ctx); },
      itemMatching: function (i) { var c = Object.assign({}, ctx, { itemIndex: i }); return pairedItem(name, c); },
      get params() { return (S.nodes[name] || {}).parameters || {}; },
      get isExecuted() { return !!(S.runData[name] && S.runData[name].length); },
      get context() { return S.contexts[name] || {}; },
      get runIndex() { return (S.runData[name] || []).length - 1; },
    };
  }

  function legacyNode(ctx) {
    return new Proxy({}, {
      get: function (_t, name) {
        if (typeof name !== "string") return undefined;
        nodeMustExist(name);
        var items = outputItems(name, 0);
        var it = items[ctx.itemIndex] || items[0] || {};
        return {
          json: it.json, binary: it.binary, data: it.json, context: S.contexts[name] || {},
          parameter: (S.nodes[name] || {}).parameters || {},
          runIndex: (S.runData[name] || []).length - 1,
        };
      },
    });
  }

  // One "now" per call into the runtime: cheap, and consistent across the items of a node run.
  function nowDT() { return S.now || (S.now = DateTime.fromMillis(Date.now() + (S.offsetMs || 0))); }
  function todayDT() { return S.today || (S.today = nowDT().startOf("day")); }

  function helpers(ctx) {
    var items = ctx.items || [];
    var current = items[ctx.itemIndex];
    var $input = {
      all: function () { return items; },
      first: function () { return items[0]; },
      last: function () { return items[items.length - 1]; },
      item: current,
      params: (S.nodes[ctx.node] || {}).parameters || {},
      context: { noItemsLeft: false },
    };
    var $ = function (name) { return nodeProxy(name, ctx); };
    var $items = function (name, outputIndex, runIndex) {
      if (name === undefined) return items;
      nodeMustExist(name);
      return outputItems(name, outputIndex || 0, runIndex);
    };
    var prev = (ctx.source && ctx.source[0]) || null;
    return {
      $: $, $input: $input, $json: current ? current.json : {}, $binary: current ? (current.binary || {}) : {},
      $node: legacyNode(ctx), $items: $items,
      $now: nowDT(), $today: todayDT(),
      $workflow: { id: S.workflow.id, name: S.workflow.name, active: !!S.workflow.active },
      $execution: {
        id: S.execution.id, mode: S.execution.mode === "manual" ? "test" : "production",
        resumeUrl: S.execution.resumeUrl || "", customData: { set: function () {}, get: function () {} },
      },
      $prevNode: prev ? { name: prev.previousNode, outputIndex: prev.previousNodeOutput || 0,
        runIndex: prev.previousNodeRun || 0 } : {},
      $runIndex: ctx.runIndex || 0, $itemIndex: ctx.itemIndex || 0,
      $parameter: (S.nodes[ctx.node] || {}).parameters || {},
      $vars: {}, $secrets: {},
      $getWorkflowStaticData: function (kind) {
        var k = kind === "node" ? "node:" + ctx.node : "global";
        return (S.staticData[k] = S.staticData[k] || {});
      },
      $if: function (c, a, b) { return c ? a : b; },
      $ifEmpty: function (v, d) { return isEmptyValue(v) ? d : v; },
      $min: Math.min, $max: Math.max,
      $evaluateExpression: function (expr) { return evalTemplate(expr, ctx); },
      DateTime: DateTime, Duration: luxon.Duration, Interval: luxon.Interval,
    };
  }
  var NAMES = ["$", "$input", "$json", "$binary", "$node", "$items", "$now", "$today", "$workflow",
    "$execution", "$prevNode", "$runIndex", "$itemIndex", "$parameter", "$vars", "$secrets",
    "$getWorkflowStaticData", "$if", "$ifEmpty", "$min", "$max", "$evaluateExpression",
    "DateTime", "Duration", "Interval"];
  function args(h) { return NAMES.map(function (n) { return h[n]; }); }

  function isEmptyValue(v) {
    return v === undefined || v === null || v === "" ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0);
  }

  // ---- expressions ------------------------------------------------------------------------
  function splitTemplate(src) {
    var parts = []; var i = 0; var text = "";
    while (i < src.length) {
      var open = src.indexOf("{{", i);
      if (open < 0) { text += src.slice(i); break; }
      var end = findClose(src, open + 2);
      if (end < 0) { text += src.slice(i); break; }
      text += src.slice(i, open);
      if (text) parts.push({ text: text }); text = "";
      parts.push({ code: src.slice(open + 2, end) });
      i = end + 2;
    }
    if (text) parts.push({ text: text });
    return parts;
  }
  function findClose(s, i) {
    var depth = 0; var q = null;
    for (; i < s.length; i++) {
      var c = s[i];
      if (q) { if (c === "\\") { i++; continue; } if (c === q) q = null; continue; }
      if (c === "'" || c === '"' || c === "`") { q = c; continue; }
      if (c === "{") depth++;
      else if (c === "}") {
        if (depth === 0 && s[i + 1] === "}") return i;
        depth--;
      }
    }
    return -1;
  }
  function compile(code) {
    var fn = S.fns[code];
    if (!fn) {
      var body = code.trim();
      try {
        fn = Function.apply(null, NAMES.concat(["return (" + body + "\n);"]));
      } catch (e) {
        fn = Function.apply(null, NAMES.concat([body]));
      }
      S.fns[code] = fn;
    }
    return fn;
  }
  function stringify(v) {
    if (v === undefined || v === null) return "";
    if (DateTime.isDateTime(v)) return v.toISO();
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  function evalTemplate(src, ctx) {
    var parts = splitTemplate(src);
    var h = null;
    var values = parts.map(function (p) {
      if (p.text !== undefined) return p.text;
      if (!p.code.trim()) return "";
      h = h || args(helpers(ctx));
      return compile(p.code).apply(null, h);
    });
    if (parts.length === 1 && parts[0].code !== undefined) return values[0];
    return values.map(function (v, i) { return parts[i].text !== undefined ? v : stringify(v); }).join("");
  }
  function isExpr(v) { return typeof v === "string" && v.charAt(0) === "="; }
  function resolveValue(v, ctx, path, errors) {
    if (isExpr(v)) {
      try {
        var r = evalTemplate(v.slice(1), ctx);
        if (typeof r === "function") return "[Function]";
        return r;
      } catch (e) {
        var msg = (e && e.message) || String(e);
        errors.push({ path: path, message: msg, name: (e && e.name) || "Error" });
        return { __izaErr: msg, path: path };
      }
    }
    if (Array.isArray(v)) return v.map(function (x, i) { return resolveValue(x, ctx, path + "[" + i + "]", errors); });
    if (v && typeof v === "object") {
      var o = {};
      Object.keys(v).forEach(function (k) { o[k] = resolveValue(v[k], ctx, path ? path + "." + k : k, errors); });
      return o;
    }
    return v;
  }
  function replacer(_k, v) {
    if (v === undefined) return { __izaUndef: 1 };
    if (typeof v === "number" && !isFinite(v)) return v !== v ? { __izaNaN: 1 } : (v > 0 ? { __izaInf: 1 } : { __izaInf: -1 });
    if (typeof v === "bigint") return Number(v);
    return v;
  }
  function out(v) { return JSON.stringify(v, replacer); }

  // Resolve the parameters of `node` once per input item (or once when there are none).
  function evalParams(reqText) {
    var req = JSON.parse(reqText);
    S.now = null; S.today = null;
    var n = Math.max(req.items.length, 1);
    var res = [];
    for (var i = 0; i < n; i++) {
      var ctx = { node: req.node, items: req.items, itemIndex: i, runIndex: req.runIndex, source: req.source };
      var errors = [];
      res.push({ params: resolveValue(req.params, ctx, "", errors), errors: errors });
    }
    return out(res);
  }

  // One expression for one item (nodes that evaluate lazily, e.g. Set's dotted names).
  function evalOne(reqText) {
    var req = JSON.parse(reqText);
    var ctx = { node: req.node, items: req.items, itemIndex: req.itemIndex, runIndex: req.runIndex, source: req.source };
    try { return out({ value: evalTemplate(req.expr.replace(/^=/, ""), ctx) }); }
    catch (e) { return out({ error: (e && e.message) || String(e) }); }
  }

  // ---- Code node --------------------------------------------------------------------------
  var CODE = { result: null, error: null };
  function errorInfo(e, node) {
    var line = null;
    var stack = (e && e.stack) || "";
    var m = stack.split("\n").map(function (l) {
      var k = l.indexOf("iza-code-node:"); return k >= 0 ? l.slice(k) : null;
    }).filter(Boolean)[0];
    if (m) { var mm = /iza-code-node:(\d+)/.exec(m); if (mm) line = Number(mm[1]) - 3; }
    return { message: (e && e.message !== undefined) ? String(e.message) : String(e),
      name: (e && e.name) || "Error", line: line, description: (e && e.description) || null,
      stack: stack, node: node };
  }
  function runCode(reqText) {
    var req = JSON.parse(reqText);
    S.now = null; S.today = null;
    CODE.result = null; CODE.error = null;
    var extra = ["items", "item", "console", "$item"];
    var header = req.async ? "return (async function(" : "return (function(";
    var src = header + NAMES.concat(extra).join(",") + ") {\n" + req.code + "\n})\n//# sourceURL=iza-code-node";
    var fn;
    try { fn = Function(src)(); } catch (e) {
      CODE.error = errorInfo(e, req.node); CODE.error.syntax = true; return out(CODE);
    }
    var logs = [];
    var cons = { log: function () { logs.push(Array.prototype.slice.call(arguments).map(stringify).join(" ")); } };
    cons.info = cons.warn = cons.error = cons.debug = cons.log;
    var mode = req.mode;
    var calls = [];
    if (mode === "each") {
      for (var i = 0; i < req.items.length; i++) calls.push(i);
    } else { calls.push(0); }
    var results = [];
    function callOne(i) {
      var ctx = { node: req.node, items: req.items, itemIndex: i, runIndex: req.runIndex, source: req.source };
      var h = helpers(ctx);
      var itemArg = req.legacy === "functionItem" ? (req.items[i] || {}).json : req.items[i];
      var $item = function (ix) { return args(helpers(Object.assign({}, ctx, { itemIndex: ix }))); };
      return fn.apply(null, args(h).concat([req.items, itemArg, cons, $item]));
    }
    if (!req.async) {
      try {
        calls.forEach(function (i) { results.push(callOne(i)); });
        CODE.result = results;
      } catch (e) { CODE.error = errorInfo(e, req.node); }
      CODE.logs = logs;
      return out(CODE);
    }
    CODE.logs = logs;
    var chain = Promise.resolve();
    calls.forEach(function (i) {
      chain = chain.then(function () { return callOne(i); }).then(function (r) { results.push(r); });
    });
    chain.then(function () { CODE.result = results; }, function (e) { CODE.error = errorInfo(e, req.node); });
    return "__pending__";
  }
  function takeCode() { return out(CODE); }

  return { configure: configure, setRun: setRun, setContext: setContext, evalParams: evalParams, evalOne: evalOne,
    runCode: runCode, takeCode: takeCode, S: S };
})();
