import type { OperatorExit } from '../application/commands.js';
import type { CommandAnswer, PendingCommands } from '../application/operatorApi.js';
import type { CommandPreview, FailoverPreview, GroupPlan } from '../application/plan.js';
import type { FailoverHistoryEntry, GroupStatus } from '../application/status.js';
import { ACKNOWLEDGEMENT_RULE } from '../domain/acknowledgement.js';
import { describeProtection } from '../domain/liveTopology.js';
import type { EpochMs, LoggedEvent } from '../domain/types.js';

/** Exit codes of `fcp`, documented in `fcp --help` and docs/operator-runbook.md. */
export const EXIT = { ok: 0, error: 1, usage: 2, refused: 3, conflict: 4 } as const;

/**
 * The exit code for an API answer: 2xx ok, 400/404 usage, 422 refused, 409 conflict, anything else an error.
 *
 * @example
 * exitCodeFor(422); // 3
 */
export function exitCodeFor(status: number): number {
  if (status >= 200 && status < 300) return EXIT.ok;
  if (status === 400 || status === 404 || status === 405) return EXIT.usage;
  if (status === 422) return EXIT.refused;
  if (status === 409) return EXIT.conflict;
  return EXIT.error;
}

/**
 * Left-aligned columns, two spaces apart; the first row is the header.
 *
 * @example
 * table([['REGION', 'VERDICT'], ['eu-west-1', 'healthy']]); // 'REGION     VERDICT\neu-west-1  healthy'
 */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index]!))).join('  ').trimEnd()).join('\n');
}

/** `2026-11-21 03:00:05Z`: UTC, to the second, the same for everyone on the incident call. */
export function time(at: EpochMs | undefined): string {
  return at === undefined ? '-' : `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `850 ms`, `12.3 s`, `4 min 05 s`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1_000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

function lag(seconds: number | undefined): string {
  return seconds === undefined ? '-' : `${seconds} s`;
}

/**
 * The summary table of several groups: one line each.
 *
 * @example
 * renderStatusSummary(groups); // 'GROUP   STATE       PRIMARY    MODE       FAILOVER\norders  monitoring  eu-west-1  automatic  -'
 */
export function renderStatusSummary(groups: readonly GroupStatus[]): string {
  return table([
    ['GROUP', 'STATE', 'PRIMARY', 'MODE', 'FAILOVER'],
    ...groups.map((group) => [
      group.groupId,
      group.state,
      group.primaryRegion,
      group.mode,
      group.currentFailover
        ? `${group.currentFailover.id} ${group.currentFailover.from} → ${group.currentFailover.to} (${group.currentFailover.step ?? 'starting'})`
        : '-',
    ]),
  ]);
}

/**
 * One group in full: state, regions with verdict and lag, the failover in progress, what needs an operator, last events.
 *
 * @example
 * console.log(renderGroupStatus(status));
 */
export function renderGroupStatus(status: GroupStatus): string {
  const lines = [
    `${status.groupId} (${status.environment}, ${status.mode})  state: ${status.state}  primary: ${status.primaryRegion}` +
      (status.updatedAt === undefined ? '  (never reconciled)' : `  updated ${time(status.updatedAt)}`),
    '',
    table([
      ['REGION', 'ROLE', 'VERDICT', 'LAG', 'DB', 'SINCE', 'NOTES'],
      ...status.regions.map((region) => [
        region.region,
        region.role,
        region.verdict,
        lag(region.replicaLagSeconds),
        region.databaseRole ?? '-',
        time(region.since),
        [
          ...(region.failingObservers.length > 0 ? [`failing from ${region.failingObservers.join(', ')}`] : []),
          ...(region.staleObservers.length > 0 ? [`stale: ${region.staleObservers.join(', ')}`] : []),
          ...(region.verdict === 'healthy' ? [] : region.reasons),
        ].join('; '),
      ]),
    ]),
  ];
  lines.push('', describeProtection(status.protection), ...renderTopology(status));
  if (status.currentFailover) {
    lines.push('', `failover in progress, step ${status.currentFailover.step ?? 'starting'}:`, ...renderFailoverPreview(status.currentFailover));
  }
  if (status.blocked) lines.push('', `BLOCKED (${status.blocked.reason}) since ${time(status.blocked.at)}: ${status.blocked.detail}`);
  if (status.stalled) {
    lines.push('', `STALLED at ${status.stalled.step} since ${time(status.stalled.at)}: ${status.stalled.reason}`);
  }
  if (status.exits.length > 0) lines.push('', 'ways on:', ...renderExits(status.exits));
  if (status.paused) lines.push('', `PAUSED by ${status.paused.principalArn} at ${time(status.paused.at)}: ${status.paused.reason}`);
  if (status.awaitingAcknowledgement) {
    lines.push('', `${ACKNOWLEDGEMENT_RULE}: fcp ack ${status.groupId} --reason "..."`);
  }
  if (status.lastFailover) {
    const last = status.lastFailover;
    lines.push('', `last failover ${last.id}: ${last.from} → ${last.to} ${last.outcome}${last.rtoMs === undefined ? '' : `, RTO ${duration(last.rtoMs)}`}`);
  }
  if (status.lease) lines.push('', `held by ${status.lease.owner} until ${time(status.lease.expiresAt)}`);
  if (status.lastEvents.length > 0) lines.push('', 'last events:', renderEvents(status.lastEvents));
  for (const warning of status.warnings ?? []) lines.push('', `warning: ${warning}`);
  return lines.join('\n');
}

/** Regions whose watched database a reprotect replaced, and the reprotect in progress or last ended. */
function renderTopology(status: GroupStatus): string[] {
  const tracked = status.regions.filter((region) => region.database?.tracked === true);
  const lines = tracked.map((region) => `  ${region.region}: ${region.database!.identifier} (created by reprotect)`);
  const operation = status.reprotect;
  if (operation !== undefined) {
    lines.push(
      `reprotect ${operation.id} of ${operation.region}: ${operation.status} ${operation.identifier}, replica of ${operation.sourceRegion}` +
        (operation.detail === undefined ? '' : ` (${operation.detail})`),
    );
  }
  return lines;
}

function renderEvents(events: readonly LoggedEvent[]): string {
  return table(events.map((event) => [`  ${time(event.at)}`, `#${event.seq}`, event.type, event.actor ?? '-', event.message]));
}

function renderFailoverPreview(failover: FailoverPreview): string[] {
  return [
    `  ${failover.from} → ${failover.to}  ${failover.planned ? 'planned switchover' : 'failover'}` +
      (failover.allowDataLoss ? ', data loss accepted' : ''),
    `  expected data loss: ${failover.expectedDataLoss.text}`,
    '  steps:',
    ...failover.steps.map((step, index) => `    ${index + 1}. ${step.step}: ${step.action}`),
  ];
}

/**
 * Failover records, newest first, each with its phase timings and RTO.
 *
 * @example
 * console.log(renderHistory(entries));
 */
export function renderHistory(entries: readonly FailoverHistoryEntry[]): string {
  if (entries.length === 0) return 'no failovers recorded';
  const lines = [
    table([
      ['STARTED', 'GROUP', 'FAILOVER', 'ROUTE', 'KIND', 'TRIGGER', 'OUTCOME', 'RTO', 'DATA-LOSS WINDOW'],
      ...entries.map((entry) => [
        time(entry.timestamps.detectedAt ?? entry.timestamps.decidedAt),
        entry.groupId,
        entry.id,
        `${entry.from} → ${entry.to}`,
        entry.planned ? 'switchover' : 'failover',
        entry.trigger.kind === 'automatic' ? 'automatic' : `${entry.trigger.kind}: ${entry.trigger.principalArn}`,
        entry.outcome,
        duration(entry.rtoMs),
        lag(entry.replicaLagAtPromotionSeconds),
      ]),
    ]),
  ];
  for (const entry of entries) {
    if (entry.stepTimings.length === 0) continue;
    lines.push('', `${entry.id} (${entry.reason}):`, ...entry.stepTimings.map((timing) => `  ${timing.phase.padEnd(18)} ${duration(timing.durationMs)}`));
  }
  return lines.join('\n');
}

/**
 * The dry run: what the control plane would do now and why, and what a command would do.
 *
 * @example
 * console.log(renderPlan(plan));
 */
export function renderPlan(plan: GroupPlan): string {
  const { assessment } = plan;
  const lines = [
    `${plan.groupId} at ${time(plan.at)}: ${plan.summary}`,
    '',
    `state: ${plan.state}${plan.stateAfter === plan.state ? ' (unchanged)' : ` → ${plan.stateAfter}`}`,
    `primary: ${plan.primaryRegion} is ${assessment.primaryVerdict} since ${time(assessment.primaryVerdictSince)}`,
    `best candidate: ${assessment.candidate ? `${assessment.candidate.region} (lag ${assessment.candidate.replicaLagSeconds} s)` : `none${assessment.noCandidateReason ? ` (${assessment.noCandidateReason})` : ''}`}`,
    ...assessment.ineligible.map((entry) => `  not ${entry.region}: ${entry.reason}`),
  ];
  lines.push(describeProtection(plan.protection));
  if (plan.events.length > 0) lines.push('', 'would log:', ...plan.events.map((event) => `  ${event}`));
  if (plan.notifications.length > 0) lines.push(`would notify: ${plan.notifications.join(', ')}`);
  if (plan.failover) lines.push('', 'failover:', ...renderFailoverPreview(plan.failover));
  if (plan.command) lines.push('', renderPreview(plan.groupId, plan.command));
  if (plan.exits.length > 0 && plan.stateAfter !== 'monitoring' && !plan.stateAfter.startsWith('failingOver')) {
    lines.push('', 'ways on:', ...renderExits(plan.exits));
  }
  for (const warning of plan.warnings ?? []) lines.push('', `warning: ${warning}`);
  return lines.join('\n');
}

function renderExits(exits: readonly OperatorExit[]): string[] {
  return exits.flatMap((exit) => [`  ${exit.command}`, `      → ${exit.stateAfter}: ${exit.effect}`]);
}

/**
 * What a command would do, shown before the operator confirms it.
 *
 * @example
 * console.log(renderPreview('orders', plan.command));
 */
export function renderPreview(groupId: string, preview: CommandPreview): string {
  if (preview.decision !== 'accept') {
    const lines = [`${preview.type} on ${groupId} would be ${preview.decision === 'conflict' ? 'refused as a conflict' : 'refused'}: ${preview.message}`];
    if (preview.dataLoss) lines.push(`expected data loss: ${preview.dataLoss.text}`, `to accept it: ${preview.dataLoss.accept}`);
    return lines.join('\n');
  }
  const lines = [`${preview.type} on ${groupId}: ${preview.message}`, `state after: ${preview.stateAfter ?? 'unchanged'}`];
  if (preview.failover) lines.push(...renderFailoverPreview(preview.failover));
  return lines.join('\n');
}

/**
 * The answer to a command: accepted (and what it did), queued, or refused and why.
 *
 * @example
 * console.log(renderCommandAnswer(answer));
 */
export function renderCommandAnswer(answer: CommandAnswer): string {
  const { command } = answer;
  const head =
    command.status === 'accepted'
      ? `${command.type} accepted: ${answer.message}`
      : command.status === 'pending'
        ? `${command.type} ${answer.message}`
        : `${command.type} refused: ${command.outcome ?? answer.message}`;
  const lines = [head + (answer.replayed ? ' (answer to an earlier request with the same idempotency key; nothing done again)' : ''), `state: ${answer.state}`];
  if (answer.failover) {
    const failover = answer.failover;
    lines.push(`failover ${failover.id}: ${failover.outcome}${failover.outcome === 'in-progress' ? '' : ` at ${time(failover.timestamps.completedAt ?? failover.timestamps.abortedAt)}`}`);
    lines.push(...renderFailoverPreview(failover));
  }
  if (answer.actions && answer.actions.length > 0) lines.push(`done now: ${answer.actions.join(', ')}`);
  if (answer.waitingFor) lines.push(`waiting for: ${answer.waitingFor} (the orchestrator continues; follow with fcp status)`);
  lines.push(`command id: ${command.id}`);
  return lines.join('\n');
}

/**
 * The commands the executor has not taken yet, oldest first, with what to type to cancel one.
 *
 * @example
 * console.log(renderPendingCommands(answer));
 */
export function renderPendingCommands(answer: PendingCommands): string {
  if (answer.commands.length === 0) return `${answer.groupId}: no pending commands`;
  const rows = answer.commands.map((command) => [
    command.id,
    command.type + (command.targetRegion === undefined ? '' : ` → ${command.targetRegion}`) + (command.targetCommandId === undefined ? '' : ` ${command.targetCommandId}`),
    time(command.requestedAt),
    command.principalArn,
    command.reason.replace(/\s+/g, ' ').slice(0, 60),
  ]);
  return [
    `${answer.groupId}: ${answer.commands.length} pending command(s), oldest first`,
    table([['ID', 'COMMAND', 'QUEUED', 'BY', 'REASON'], ...rows]),
    `cancel one: fcp cancel <id> --group ${answer.groupId} --reason "..."`,
  ].join('\n');
}

/**
 * An API error in words: its message and one line per problem.
 *
 * @example
 * renderApiError(422, body); // 'refused (422): replica lag of us-east-1 is 120 s ...'
 */
export function renderApiError(status: number, body: unknown): string {
  const error = (body as { error?: { code?: string; message?: string; issues?: string[] } } | undefined)?.error;
  const lines = [`${error?.code ?? 'error'} (${status}): ${error?.message ?? JSON.stringify(body)}`];
  for (const issue of error?.issues ?? []) lines.push(`  - ${issue}`);
  const dataLoss = (body as { dataLoss?: { text: string; accept: string } } | undefined)?.dataLoss;
  if (dataLoss) lines.push(`expected data loss: ${dataLoss.text}`, `to accept it: ${dataLoss.accept}`);
  const state = (body as { state?: string } | undefined)?.state;
  if (state !== undefined) lines.push(`state: ${state}`);
  return lines.join('\n');
}
