import { formatSeconds } from '../format.js';
import type { DrillReport } from '../report.js';

/** The report's data loss in sentences, for the Markdown and HTML pages. */
export function dataLossLines(report: DrillReport): string[] {
  const { dataLoss, targets } = report;
  const lines = [
    dataLoss.replicaLagAtPromotionSeconds === undefined
      ? 'Replica lag at promotion: not recorded.'
      : `Replica lag at promotion (the data-loss window): ${formatSeconds(dataLoss.replicaLagAtPromotionSeconds)}, budget ${formatSeconds(targets.maxReplicaLagSeconds)}.`,
  ];
  if (dataLoss.lostWrites !== undefined) {
    lines.push(
      `Writes the old primary accepted that never reached ${report.to}: ${dataLoss.lostWrites}` +
        (dataLoss.lostWritesBudget === undefined ? '.' : ` (budget ${dataLoss.lostWritesBudget} at ${dataLoss.writesPerSecond} writes/s).`),
    );
  }
  return lines;
}
