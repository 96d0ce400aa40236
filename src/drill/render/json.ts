import type { DrillReport } from '../report.js';

/**
 * The report as pretty JSON, for machines and for archiving next to the HTML.
 *
 * @example
 * await writeFile('reports/drill.json', renderJson(report));
 */
export function renderJson(report: DrillReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
