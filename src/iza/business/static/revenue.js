// Revenue dashboard charts: small SVG charts drawn from the JSON embedded in the page.
// Each currency gets its own chart (amounts in different currencies are never put on one axis).
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var ZERO = ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd",
              "vuv", "xaf", "xof", "xpf"];
  var THREE = ["bhd", "jod", "kwd", "omr", "tnd"];
  function exp(cur) { return ZERO.indexOf(cur) >= 0 ? 0 : (THREE.indexOf(cur) >= 0 ? 3 : 2); }
  function money(minor, cur) {
    var e = exp(cur), v = minor / Math.pow(10, e);
    return v.toLocaleString("en-US", { minimumFractionDigits: e, maximumFractionDigits: e }) +
      " " + cur.toUpperCase();
  }
  function el(name, attrs, parent) {
    var n = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(n); }
    return n;
  }
  function svg(host, w, h, label) {
    var s = el("svg", { viewBox: "0 0 " + w + " " + h, width: w, height: h, role: "img",
                        "aria-label": label });
    host.appendChild(s);
    return s;
  }
  function text(s, x, y, str, anchor) {
    var t = el("text", { x: x, y: y, "font-size": 11, "text-anchor": anchor || "start",
                         fill: "#677089" }, s);
    t.textContent = str;
    return t;
  }
  function title(node, str) { el("title", {}, node).textContent = str; }

  function mrrChart(host, data) {
    data.currencies.forEach(function (cur) {
      var pts = data.timeline.map(function (m) { return [m.month, m.mrr[cur] || 0]; });
      var W = 520, H = 170, L = 40, B = 24, top = Math.max.apply(null, pts.map(function (p) { return p[1]; })) || 1;
      var s = svg(host, W, H, "MRR " + cur.toUpperCase());
      s.dataset.currency = cur;
      text(s, 4, 14, cur.toUpperCase() + " · max " + money(top, cur));
      var step = (W - L - 10) / Math.max(1, pts.length - 1), path = [];
      pts.forEach(function (p, i) {
        var x = L + i * step, y = H - B - (p[1] / top) * (H - B - 24);
        path.push(x.toFixed(1) + "," + y.toFixed(1));
        var c = el("circle", { cx: x, cy: y, r: 3.5, fill: "#3451b2", class: "point",
                               "data-month": p[0], "data-value": p[1] }, s);
        title(c, p[0] + ": " + money(p[1], cur));
        if (i % 2 === 0 || pts.length < 8) { text(s, x, H - 6, p[0].slice(2), "middle"); }
      });
      el("polyline", { points: path.join(" "), fill: "none", stroke: "#3451b2", "stroke-width": 2 }, s);
    });
  }

  var ORDER = ["start", "new", "expansion", "reactivation", "contraction", "churn", "end"];
  function waterfall(host, data) {
    Object.keys(data.waterfall).forEach(function (cur) {
      var wf = data.waterfall[cur], W = 520, H = 190, B = 30, level = 0, bars = [];
      ORDER.forEach(function (k) {
        var v = wf[k] || 0;
        if (k === "start" || k === "end") { bars.push([k, 0, v, v]); level = v; }
        else { bars.push([k, level, level + v, v]); level += v; }
      });
      var top = Math.max.apply(null, bars.map(function (b) { return Math.max(b[1], b[2]); })) || 1;
      var s = svg(host, W, H, "MRR movements " + cur.toUpperCase());
      s.dataset.currency = cur;
      text(s, 4, 14, cur.toUpperCase());
      var bw = (W - 20) / bars.length;
      bars.forEach(function (b, i) {
        var y1 = H - B - (Math.max(b[1], b[2]) / top) * (H - B - 24);
        var y2 = H - B - (Math.min(b[1], b[2]) / top) * (H - B - 24);
        var color = b[0] === "start" || b[0] === "end" ? "#3451b2" : (b[3] >= 0 ? "#1f8a4c" : "#c53030");
        var r = el("rect", { x: 10 + i * bw + 4, y: y1, width: bw - 8, height: Math.max(1, y2 - y1),
                             fill: color, class: "bar", "data-kind": b[0], "data-value": b[3] }, s);
        title(r, b[0] + ": " + money(b[3], cur));
        text(s, 10 + i * bw + bw / 2, H - 12, b[0], "middle");
      });
    });
  }

  function services(host, data) {
    data.currencies.forEach(function (cur) {
      var rows = Object.keys(data.by_service).filter(function (s) { return data.by_service[s][cur]; })
        .map(function (s) { return [s, data.by_service[s][cur].net, data.by_service[s][cur].margin]; });
      if (!rows.length) { return; }
      var W = 520, rowH = 34, H = 24 + rows.length * rowH, L = 170;
      var top = Math.max.apply(null, rows.map(function (r) { return Math.max(r[1], r[2], 1); }));
      var s = svg(host, W, H, "Revenue by service " + cur.toUpperCase());
      s.dataset.currency = cur;
      text(s, 4, 14, cur.toUpperCase() + " — net (blue) and margin (green)");
      rows.forEach(function (r, i) {
        var y = 22 + i * rowH;
        text(s, 4, y + 14, r[0]);
        [[r[1], "#3451b2", "net"], [r[2], "#1f8a4c", "margin"]].forEach(function (b, j) {
          var w = Math.max(1, (Math.max(0, b[0]) / top) * (W - L - 10));
          var rect = el("rect", { x: L, y: y + j * 13, width: w, height: 11, fill: b[1], class: "bar",
                                  "data-service": r[0], "data-kind": b[2], "data-value": b[0] }, s);
          title(rect, r[0] + " " + b[2] + ": " + money(b[0], cur));
        });
      });
    });
  }

  function funnel(host, data) {
    var f = data.funnel, stages = ["inquiry", "demo", "proposal", "won"];
    var W = 520, H = 24 + stages.length * 28, top = Math.max(1, f.inquiry);
    var s = svg(host, W, H, "Leads funnel");
    stages.forEach(function (k, i) {
      var w = Math.max(1, (f[k] / top) * (W - 130));
      var r = el("rect", { x: 90, y: 10 + i * 28, width: w, height: 20, fill: "#3451b2", class: "bar",
                           "data-stage": k, "data-value": f[k] }, s);
      title(r, k + ": " + f[k]);
      text(s, 4, 24 + i * 28, k + " " + f[k]);
    });
  }

  function cohorts(host, data) {
    Object.keys(data.cohorts).forEach(function (cur) {
      var rows = data.cohorts[cur], cols = 0;
      rows.forEach(function (r) { cols = Math.max(cols, r.retention.length); });
      var CW = 34, RH = 20, L = 110, W = L + cols * CW + 10, H = 22 + rows.length * RH;
      var s = svg(host, W, H, "Cohort retention " + cur.toUpperCase());
      s.dataset.currency = cur;
      text(s, 4, 14, cur.toUpperCase() + " — month 0, 1, 2 … after the first payment");
      rows.forEach(function (r, i) {
        var y = 20 + i * RH;
        text(s, 4, y + 14, r.cohort + " (" + r.size + ")");
        r.retention.forEach(function (v, j) {
          var c = el("rect", { x: L + j * CW, y: y, width: CW - 2, height: RH - 2, class: "cell",
                               fill: "rgba(52,81,178," + (0.12 + 0.88 * v).toFixed(2) + ")",
                               "data-cohort": r.cohort, "data-age": j, "data-value": v }, s);
          title(c, r.cohort + " month " + j + ": " + (v * 100).toFixed(1) + " %");
        });
      });
    });
  }

  function kpis(host, data) {
    data.currencies.forEach(function (cur) {
      var k = data.kpis[cur], box = document.createElement("div");
      box.className = "count-group";
      box.dataset.currency = cur;
      box.innerHTML = "<h3>" + cur.toUpperCase() + "</h3><dl>" +
        [["MRR", money(k.mrr, cur)], ["ARR", money(k.arr, cur)], ["Net revenue", money(k.net_revenue, cur)],
         ["Margin", money(k.margin, cur)], ["NRR", k.nrr === null ? "—" : (k.nrr * 100).toFixed(1) + " %"],
         ["Customers", String(k.customers)]]
          .map(function (p) { return "<dt>" + p[0] + "</dt><dd>" + p[1] + "</dd>"; }).join("") + "</dl>";
      host.appendChild(box);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    try {
      var data = JSON.parse(document.getElementById("revenue-data").textContent);
      kpis(document.getElementById("kpis"), data);
      var draw = { mrr: mrrChart, waterfall: waterfall, services: services, funnel: funnel,
                   cohorts: cohorts };
      document.querySelectorAll("[data-chart]").forEach(function (host) { draw[host.dataset.chart](host, data); });
      document.body.dataset.chartsReady = "1";
    } catch (e) {
      document.body.dataset.chartsError = String(e);
      throw e;
    }
  });
})();
