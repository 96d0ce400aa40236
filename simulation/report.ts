import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INVARIANTS, type InvariantName } from './invariants.js';
import type { BatchResult } from './pool.js';
import { describeFault, formatTime, runSchedule, SIM_START } from './runner.js';
import { generateSchedule, type Schedule } from './schedule.js';
import { shrink } from './shrink.js';

/** `N schedules, K violations (rate)`, and how many schedules broke each invariant. */
export function summarize(batch: BatchResult): string {
  const rate = batch.schedules === 0 ? 0 : batch.failed.length / batch.schedules;
  const byInvariant = new Map<InvariantName, number>();
  for (const failure of batch.failed) for (const invariant of new Set(failure.invariants)) byInvariant.set(invariant, (byInvariant.get(invariant) ?? 0) + 1);
  const lines = [`${batch.schedules} schedules, ${batch.failed.length} violations (${(rate * 100).toFixed(2)} % of schedules)`];
  for (const invariant of INVARIANTS) {
    const count = byInvariant.get(invariant);
    if (count !== undefined) lines.push(`  ${invariant}: ${count} schedule(s), first seed ${batch.failed.find((failure) => failure.invariants.includes(invariant))!.seed}`);
  }
  return lines.join('\n');
}

/**
 * For each invariant that broke, its first seed: shrunk to the fewest faults that still break it, saved as a replay
 * file under `outDir`, and played again with a trace. The text says how to replay each one.
 */
export async function explainFailures(batch: BatchResult, options: { outDir: string; maxClasses?: number; traceLines?: number }): Promise<string> {
  const seen = new Set<InvariantName>();
  const parts: string[] = [];
  mkdirSync(options.outDir, { recursive: true });
  for (const failure of batch.failed) {
    const invariant = failure.invariants.find((candidate) => !seen.has(candidate));
    if (invariant === undefined) continue;
    seen.add(invariant);
    if (seen.size > (options.maxClasses ?? INVARIANTS.length)) break;
    const { schedule } = await shrink(generateSchedule(failure.seed), invariant);
    const file = join(options.outDir, `${invariant}-seed-${failure.seed}.json`);
    writeFileSync(file, `${JSON.stringify(schedule, null, 2)}\n`);
    const replay = await runSchedule(schedule, { trace: true });
    parts.push(
      [
        `── ${invariant}: seed ${failure.seed}, shrunk to ${schedule.faults.length} fault(s)`,
        ...schedule.faults.map((fault) => `   ${formatTime(SIM_START + fault.at)}  ${describeFault(fault)}`),
        `   replay: npm run simulate -- --replay ${file}`,
        ...tail(replay.trace, options.traceLines ?? 60).map((line) => `   ${line}`),
      ].join('\n'),
    );
  }
  return parts.join('\n\n');
}

/** Reads a schedule saved by `explainFailures` (or written by hand). */
export function readSchedule(file: string): Schedule {
  return JSON.parse(readFileSync(file, 'utf8')) as Schedule;
}

function tail(lines: readonly string[], count: number): readonly string[] {
  return lines.length <= count ? lines : [`… ${lines.length - count} earlier lines (full trace: --replay)`, ...lines.slice(-count)];
}
