import type { Logger } from '@aws-lambda-powertools/logger';
import type { Outcome } from '../../src/application/orchestrate.js';
import type { ProbeRoundSummary } from '../../src/application/probeRound.js';
import { isFailure } from './outcomes.js';

/**
 * The log lines of one group's pass: a failure at error, an idle pass at debug, anything else at info, and a line
 * per saved verdict change and per completed failover.
 *
 * @example
 * logOutcome(logger, outcome);
 */
export function logOutcome(logger: Logger, outcome: Outcome): void {
  if (isFailure(outcome)) {
    // `message` is a reserved Powertools key (it would be dropped): the failure goes under `error`.
    logger.error('group failed', { groupId: outcome.groupId, error: outcome.message });
    return;
  }
  const { groupId, result, state, actions, waitingFor, failover, message } = outcome;
  const entry = { groupId, result, state, actions, waitingFor, failoverId: failover?.id, detail: message };
  if (result === 'idle') logger.debug('group outcome', entry);
  else logger.info('group outcome', entry);
  for (const { region, from, to } of outcome.verdictChanges ?? []) logger.info('verdict changed', { groupId, region, from, to });
  if (failover?.outcome === 'completed' && actions.includes('VERIFIED')) logger.info('failover completed', { groupId, failover });
}

/**
 * The one line of a probe invocation: rounds, the slowest round, every region that failed a round (per group, as
 * this observer saw it) and the store errors.
 *
 * @example
 * logProbeSummary(logger, summary);
 */
export function logProbeSummary(logger: Logger, summary: ProbeRoundSummary): void {
  logger.info('probe rounds finished', {
    observerRegion: summary.observerRegion,
    rounds: summary.rounds,
    maxRoundDurationMs: summary.maxRoundDurationMs,
    failing: summary.regions.filter((region) => region.failed > 0).map(({ groupId, region, ok, failed }) => ({ groupId, region, ok, failed })),
    errors: summary.errors,
  });
}
