/** Plain-text tables for the readable report. */

/** Lines of a table; `rightAlign[i]` right-aligns column i (numbers). */
export function formatTable(header: string[], rows: string[][], rightAlign: boolean[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAlign[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}
