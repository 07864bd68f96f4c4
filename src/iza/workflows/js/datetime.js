// The Date & Time node, run inside V8 because its semantics are those of the JS libraries n8n
// uses: moment(-timezone) for version 1, Luxon for version 2. Written for IZA.
var __izaDate = (function () {
  "use strict";
  var DateTime = luxon.DateTime;

  function setPath(obj, path, value) {
    var parts = String(path).split(".");
    var cur = obj;
    for (var i = 0; i < parts.length - 1; i++) {
      if (typeof cur[parts[i]] !== "object" || cur[parts[i]] === null) cur[parts[i]] = {};
      cur = cur[parts[i]];
    }
    cur[parts[parts.length - 1]] = value;
  }

  function v1(item, p, tz) {
    var json = JSON.parse(JSON.stringify(item.json || {}));
    var options = p.options || {};
    var prop = p.dataPropertyName || "data";
    var value = p.value;
    if (value && typeof value === "object" && value.__izaUndef) value = undefined;
    if (value === undefined) return { json: json };
    var d;
    if ((p.action || "format") === "calculate") {
      d = options.fromFormat ? moment(value, options.fromFormat) : moment(value);
      var amount = Number(p.duration === undefined ? 0 : p.duration);
      var unit = p.timeUnit || "days";
      d = (p.operation || "add") === "subtract" ? d.subtract(amount, unit) : d.add(amount, unit);
      setPath(json, prop, d.toISOString());
      return { json: json };
    }
    if (typeof value === "string" && value.trim() !== "" && !isNaN(Number(value)) && !options.fromFormat) {
      value = Number(value);
    }
    if (options.fromFormat === undefined && !moment(value).isValid()) {
      throw new Error('The date input format could not be recognized. Please set the "From Format" field');
    }
    if (typeof value === "number") {
      d = String(Math.trunc(value)).length < 12 ? moment.unix(value) : moment(value);
    } else if (options.fromTimezone || options.toTimezone) {
      var from = options.fromTimezone || tz;
      d = options.fromFormat ? moment.tz(value, options.fromFormat, from) : moment.tz(value, from);
    } else {
      d = options.fromFormat ? moment(value, options.fromFormat) : moment(value);
    }
    if (options.toTimezone || options.fromTimezone) d = d.tz(options.toTimezone || tz);
    var fmt = p.toFormat === undefined ? "MM/DD/YYYY" : p.toFormat;
    if (fmt === "custom") fmt = p.customFormat;
    setPath(json, prop, d.format(fmt));
    return { json: json };
  }

  function parse(value, tz, fromFormat) {
    if (value === null || value === undefined || value === "") return null;
    var d;
    if (typeof value === "number" || (typeof value === "string" && value.trim() !== "" && !isNaN(Number(value)))) {
      var n = Number(value);
      var digits = String(Math.trunc(Math.abs(n))).length;
      d = digits <= 10 ? DateTime.fromSeconds(n, { zone: tz }) : DateTime.fromMillis(n, { zone: tz });
    } else if (fromFormat) {
      d = DateTime.fromFormat(String(value), fromFormat, { zone: tz });
    } else {
      var s = String(value);
      d = DateTime.fromISO(s, { zone: tz });
      if (!d.isValid) d = DateTime.fromRFC2822(s, { zone: tz });
      if (!d.isValid) d = DateTime.fromHTTP(s, { zone: tz });
      if (!d.isValid) d = DateTime.fromSQL(s, { zone: tz });
      if (!d.isValid) { var js = new Date(s); if (!isNaN(js.getTime())) d = DateTime.fromJSDate(js, { zone: tz }); }
    }
    if (!d.isValid) throw new Error("Invalid date format");
    return d;
  }

  function out(d) { return d && d.isValid ? d.toISO() : d; }

  function v2(item, p, tz) {
    var options = p.options || {};
    var zone = options.timezone || tz;
    var json = options.includeInputFields ? JSON.parse(JSON.stringify(item.json || {})) : {};
    var op = p.operation || "getCurrentDate";
    var name, value;
    if (op === "getCurrentDate") {
      name = p.outputFieldName || "currentDate";
      var now = DateTime.now().setZone(zone);
      value = p.includeTime === false ? now.startOf("day").toISO() : now.toISO();
    } else if (op === "addToDate" || op === "subtractFromDate") {
      name = p.outputFieldName || "newDate";
      var base = parse(p.magnitude, zone);
      var dur = {}; dur[p.timeUnit || "days"] = Number(p.duration || 0);
      value = base === null ? null : out(op === "addToDate" ? base.plus(dur) : base.minus(dur));
    } else if (op === "formatDate") {
      name = p.outputFieldName || "formattedDate";
      var d = parse(p.date, zone, options.fromFormat);
      var fmt = p.format === undefined ? "MM/dd/yyyy" : p.format;
      if (fmt === "custom") fmt = p.customFormat;
      value = d === null ? null : d.toFormat(fmt);
    } else if (op === "roundDate") {
      name = p.outputFieldName || "roundedDate";
      var r = parse(p.date, zone);
      if (r !== null) {
        var mode = p.mode || "roundDown";
        var unit = p.toNearest || p.to || "day";
        if (mode === "roundDown") r = r.startOf(unit);
        else if (mode === "roundUp") r = r.endOf(unit).plus({ milliseconds: 1 });
        value = out(r);
      } else value = null;
    } else if (op === "getTimeBetweenDates") {
      name = p.outputFieldName || "timeDifference";
      var a = parse(p.startDate, zone), b = parse(p.endDate, zone);
      var units = (p.units || ["day"]).map(function (u) { return u + "s"; });
      var diff = b.diff(a, units);
      if (options.isoString) value = diff.toISO();
      else { value = {}; units.forEach(function (u) { value[u] = diff.get(u); }); }
    } else if (op === "extractDate") {
      name = p.outputFieldName || "datePart";
      var e = parse(p.date, zone);
      var part = p.part || "month";
      value = part === "week" ? e.weekNumber : e.get(part);
    } else {
      throw new Error("Unsupported Date & Time operation: " + op);
    }
    setPath(json, name, value);
    return { json: json };
  }

  return function (reqText) {
    var req = JSON.parse(reqText);
    var out = [];
    try {
      for (var i = 0; i < req.items.length; i++) {
        var p = req.params[Math.min(i, req.params.length - 1)];
        var r = req.version < 2 ? v1(req.items[i], p, req.timezone) : v2(req.items[i], p, req.timezone);
        r.pairedItem = { item: i };
        out.push(r);
      }
    } catch (e) {
      return JSON.stringify({ error: (e && e.message) || String(e), item: i });
    }
    return JSON.stringify({ items: out });
  };
})();
