/**
 * The anti-flap rule, in the words every surface uses (notification, command answer, plan, runbook): after a completed
 * failover automatic failover stays off until an operator acknowledges it, and the acknowledgement re-arms it at once.
 * There is no cooldown after the acknowledgement: the operator who acknowledges has judged the new primary.
 */
export const ACKNOWLEDGEMENT_RULE =
  'automatic failover stays off after a completed failover until an operator acknowledges it; acknowledging re-arms it at once';
