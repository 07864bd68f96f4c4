// Glue for Convert to File / Extract From File spreadsheets (html, xlsx, xls, ods, rtf) on SheetJS,
// the library n8n uses. Files cross the boundary as base64.
globalThis.__izaSheetWrite = function (text) {
  const p = JSON.parse(text);
  const ws = XLSX.utils.json_to_sheet(p.rows);
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, p.sheetName || 'Sheet');
  const data = XLSX.write(wb, { bookType: p.bookType, bookSST: false, type: 'base64', compression: !!p.compression });
  return JSON.stringify({ value: data });
};
globalThis.__izaSheetRead = function (text) {
  const p = JSON.parse(text);
  const wb = XLSX.read(p.data, { type: 'base64', raw: !!p.rawData });
  const name = p.sheetName || wb.SheetNames[0];
  const sheet = wb.Sheets[name];
  if (sheet === undefined) return JSON.stringify({ error: 'Sheet "' + name + '" not found in the file' });
  const rows = XLSX.utils.sheet_to_json(sheet, {
    defval: p.includeEmptyCells ? '' : undefined,
    header: p.headerRow === false ? 1 : undefined,
    range: p.range || undefined,
  });
  return JSON.stringify({ value: rows });
};
