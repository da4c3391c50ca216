/** Plain aligned tables, as rkt's list commands print them: a legend row, then one row per item. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], withLegend: boolean): string {
  const all = withLegend ? [header, ...rows] : rows;
  if (all.length === 0) return '';
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n') + '\n';
}
