/** Prints an aligned plain-text table (also valid Markdown, so docs can paste it). */
export function printTable(title, headers, rows) {
  const cells = rows.map((row) => row.map(formatCell));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => row[column].length)),
  );
  const line = (row) => '| ' + row.map((cell, i) => cell.padStart(widths[i])).join(' | ') + ' |';
  const out = [
    `\n### ${title}\n`,
    line(headers),
    '|' + widths.map((w) => '-'.repeat(w + 1) + ':').join('|') + '|',
  ];
  for (const row of cells) out.push(line(row));
  console.log(out.join('\n'));
}

/** Numbers to 3 significant figures (integers >= 1000 whole, with thousands separators). */
export function formatCell(value) {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) && magnitude < 1000) return String(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

/** "1.23x" */
export const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '-');

/** Human size label for a byte count: 64 B, 1 KiB, 4 MiB. */
export function sizeLabel(bytes) {
  if (bytes >= 1 << 20) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
