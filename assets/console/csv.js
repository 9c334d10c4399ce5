// CSV files the console writes itself (the households of a village without a location), the
// counterpart of `neutralise` in src/api/xlsx.rs: a cell beginning with =, +, -, @, a tab or a
// carriage return would be read by a spreadsheet program as a formula, so it gets a leading '
// (OWASP's rule for CSV injection). Every cell is quoted, quotes doubled.

export const FORMULA_TRIGGERS = ["=", "+", "-", "@", "\t", "\r"];

/// A value as the text of a spreadsheet cell.
export function neutralise(value) {
  const text = String(value ?? "");
  return FORMULA_TRIGGERS.some((c) => text.startsWith(c)) ? `'${text}` : text;
}

/// Rows (arrays of values) as CSV text, CRLF line ends.
export function csvText(rows) {
  return rows.map((r) => r.map((v) => `"${neutralise(v).replaceAll('"', '""')}"`).join(",")).join("\r\n");
}
