/** Errors of the drill layer. Each carries what an operator needs to act: the group, the scenario, why. */

interface DrillErrorContext {
  readonly groupId?: string;
  readonly scenario?: string;
  readonly cause?: unknown;
}

abstract class DrillError extends Error {
  readonly groupId?: string;
  readonly scenario?: string;

  constructor(message: string, context: DrillErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.groupId = context.groupId;
    this.scenario = context.scenario;
  }
}

/** No scenario has this name; the message lists the ones that exist. */
export class UnknownScenarioError extends DrillError {
  override readonly name = 'UnknownScenarioError';
}

/** A staging drill may not run on this group as asked (production without the safeguards, a scenario it cannot run). */
export class DrillRefusedError extends DrillError {
  override readonly name = 'DrillRefusedError';
}
