// Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned.

/** Column alignment: 'left' for names, 'right' for numbers. */
export type Align = 'left' | 'right';

/**
 * Formats rows under a header as an aligned text table, one line per row, ending in a newline.
 * Columns whose `align` is not given are right-aligned when every body cell looks like a number.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly Align[],
): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((row) => (row[j] ?? '').length)));
  const aligns = header.map(
    (_, j) =>
      align?.[j] ?? (rows.length > 0 && rows.every((row) => isNumeric(row[j] ?? '')) ? 'right' : 'left'),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, j) => (aligns[j] === 'right' ? cell.padStart(widths[j]) : cell.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return `${[line(header), rule, ...rows.map(line)].join('\n')}\n`;
}

function isNumeric(cell: string): boolean {
  return /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?$/.test(cell.trim()) || cell.trim() === '-';
}
