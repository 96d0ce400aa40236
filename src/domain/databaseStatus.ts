import type { DatabaseRole } from './types.js';

/**
 * What a database's control-plane status means as evidence about a region: the one home of that rule.
 *
 * A status comes from the provider's API (RDS `DescribeDBInstances`, `DescribeGlobalClusters`), which every observer
 * asks in the same region: one odd value would reach the observer quorum by itself. So the control plane never makes
 * a region unhealthy on its own: only a terminal status (the instance cannot come back without a person) counts as a
 * database failure; a status that says the database is serving counts as healthy; everything else, and every API
 * error or throttle, is `unknown` (never healthy, never failed). Data-plane evidence (health endpoints, a connection
 * check) decides the rest. A database kind described over a connection to the server itself (`postgres`) is
 * data-plane evidence already: when that connection fails its status is `connection-failed` (`down`), which fails
 * the round like a failed connection check (the `DatabaseProbe` port). docs/adapters.md shows this table; a test
 * keeps the two equal.
 */

/**
 * How one status reads as evidence: serving, terminal (a database failure), down (the database itself did not answer
 * a connection: data-plane evidence, a failure), or anything between (unknown).
 */
export type StatusMeaning = 'serving' | 'terminal' | 'down' | 'unknown';

/** The evidence a database observation gives about its region. */
export type DatabaseEvidence = 'ok' | 'failed' | 'unknown';

export interface StatusEntry {
  readonly meaning: StatusMeaning;
  /** AWS's description of the status, in short (docs: "Viewing Amazon RDS DB instance status"). */
  readonly description: string;
}

/**
 * Every `DBInstanceStatus` AWS documents ("Viewing Amazon RDS DB instance status", RDS User Guide), with its meaning
 * here. `serving` only where AWS says the instance keeps working during the status.
 */
export const RDS_INSTANCE_STATUSES: Readonly<Record<string, StatusEntry>> = {
  available: { meaning: 'serving', description: 'The DB instance is healthy and available.' },
  'backing-up': { meaning: 'serving', description: 'The DB instance is currently being backed up.' },
  backtracking: { meaning: 'unknown', description: 'The DB instance is currently being backtracked (Aurora MySQL only).' },
  'configuring-enhanced-monitoring': {
    meaning: 'serving',
    description: 'Enhanced Monitoring is being enabled or disabled for this DB instance.',
  },
  'configuring-iam-database-auth': {
    meaning: 'serving',
    description: 'IAM database authentication is being enabled or disabled for this DB instance.',
  },
  'configuring-log-exports': {
    meaning: 'serving',
    description: 'Publishing log files to CloudWatch Logs is being enabled or disabled for this DB instance.',
  },
  'converting-to-vpc': {
    meaning: 'unknown',
    description: 'The DB instance is being converted from outside an Amazon VPC to inside one.',
  },
  creating: { meaning: 'unknown', description: 'The DB instance is being created; it is inaccessible while it is being created.' },
  'delete-precheck': {
    meaning: 'unknown',
    description: 'Amazon RDS is validating that read replicas are healthy and safe to delete before deleting the instance.',
  },
  deleting: { meaning: 'unknown', description: 'The DB instance is being deleted.' },
  failed: {
    meaning: 'terminal',
    description: "The DB instance has failed and Amazon RDS can't recover it; a point-in-time restore recovers the data.",
  },
  'inaccessible-encryption-credentials': {
    meaning: 'terminal',
    description: "The AWS KMS key used to encrypt or decrypt the DB instance can't be accessed.",
  },
  'inaccessible-encryption-credentials-recoverable': {
    meaning: 'unknown',
    description:
      "The KMS key can't be accessed, but the instance can still be recovered (turn the key on, then start the instance) for seven days; after that it becomes inaccessible-encryption-credentials.",
  },
  'incompatible-network': {
    meaning: 'terminal',
    description:
      "Amazon RDS is attempting a recovery action but can't complete it because of the VPC's state (for example no free IP address in a subnet).",
  },
  'incompatible-option-group': {
    meaning: 'terminal',
    description: "Amazon RDS attempted an option group change but can't apply it and can't roll back to the previous option group state.",
  },
  'incompatible-parameters': {
    meaning: 'terminal',
    description: "Amazon RDS can't start the DB instance because the parameters of its DB parameter group aren't compatible with it.",
  },
  'incompatible-restore': { meaning: 'terminal', description: "Amazon RDS can't do a point-in-time restore." },
  'insufficient-capacity': {
    meaning: 'unknown',
    description: "Amazon RDS can't create your instance because sufficient capacity isn't currently available.",
  },
  maintenance: {
    meaning: 'unknown',
    description: 'Amazon RDS is applying a maintenance update to the DB instance (instance-level maintenance scheduled in advance).',
  },
  modifying: { meaning: 'unknown', description: 'The DB instance is being modified because of a customer request.' },
  'moving-to-vpc': { meaning: 'unknown', description: 'The DB instance is being moved to a new Amazon VPC.' },
  rebooting: {
    meaning: 'unknown',
    description: 'The DB instance is being rebooted because of a customer request or an Amazon RDS process that requires it.',
  },
  'resetting-master-credentials': {
    meaning: 'serving',
    description: 'The master credentials for the DB instance are being reset because of a customer request.',
  },
  renaming: { meaning: 'unknown', description: 'The DB instance is being renamed because of a customer request.' },
  'restore-error': {
    meaning: 'unknown',
    description: 'The DB instance encountered an error attempting to restore to a point in time or from a snapshot.',
  },
  starting: { meaning: 'unknown', description: 'The DB instance is starting.' },
  stopped: { meaning: 'unknown', description: 'The DB instance is stopped.' },
  stopping: { meaning: 'unknown', description: 'The DB instance is being stopped.' },
  'storage-config-upgrade': {
    meaning: 'unknown',
    description: 'The storage file system configuration of the DB instance is being upgraded (blue/green green databases, read replicas).',
  },
  'storage-full': {
    meaning: 'unknown',
    description: 'The DB instance has reached its storage capacity allocation: a critical status to fix at once by scaling up storage.',
  },
  'storage-optimization': {
    meaning: 'serving',
    description:
      'The DB instance is being modified to change its storage size or type and is fully operational; this can last beyond 24 hours.',
  },
  upgrading: { meaning: 'unknown', description: 'The database engine version is being upgraded.' },
};

/**
 * Statuses this project gives its databases beyond what RDS reports: the API's answer could not be had, or named no
 * database. Aurora global cluster statuses (`failing-over`, `switching-over`) that are not instance statuses are here too.
 */
export const OBSERVATION_STATUSES: Readonly<Record<string, StatusEntry>> = {
  'not-found': {
    meaning: 'terminal',
    description: 'The API answered that the configured instance (or global cluster) does not exist.',
  },
  unreachable: {
    meaning: 'unknown',
    description: "The region's RDS API could not be reached, answered 5xx or timed out: the control plane, not the database.",
  },
  'api-error': {
    meaning: 'unknown',
    description: 'The RDS API answered with an error (throttling, access denied...): says nothing about the database.',
  },
  'not-a-member': {
    meaning: 'unknown',
    description: 'Aurora: the configured cluster is not a member of the global cluster (detached, or not yet joined).',
  },
  'failing-over': { meaning: 'unknown', description: 'Aurora global cluster: a failover of the writer is under way.' },
  'switching-over': { meaning: 'unknown', description: 'Aurora global cluster: a switchover of the writer is under way.' },
  'connection-failed': {
    meaning: 'down',
    description:
      'postgres: the server itself refused the connection, did not answer within connectTimeoutMs, or is starting or shutting down: data-plane evidence, as a failed connection check.',
  },
};

/**
 * The meaning of a status. A status no table lists is `unknown`, except the open `incompatible-` family, which AWS
 * extends over time and is always terminal.
 *
 * @example
 * statusMeaning('storage-optimization'); // 'serving'
 * statusMeaning('incompatible-create'); // 'terminal'
 * statusMeaning('throttled'); // 'unknown'
 */
export function statusMeaning(status: string): StatusMeaning {
  const entry = Object.hasOwn(RDS_INSTANCE_STATUSES, status)
    ? RDS_INSTANCE_STATUSES[status]
    : Object.hasOwn(OBSERVATION_STATUSES, status)
      ? OBSERVATION_STATUSES[status]
      : undefined;
  if (entry !== undefined) return entry.meaning;
  return status.startsWith('incompatible-') ? 'terminal' : 'unknown';
}

/** The control-plane view of one database, as the evidence rule needs it. */
export interface ObservedDatabase {
  readonly role: DatabaseRole;
  readonly status: string;
  readonly writable: boolean;
  readonly fenced?: boolean;
}

/**
 * What an observation of a database is evidence of, with the reason when it is not `ok`.
 * `failed` for a terminal status, and for a database that did not answer a connection (`down`: data plane); `ok` for
 * a serving status with a known role and no fence on a writer; `unknown` for everything else (an unknown role, a
 * fenced writer, a replica that accepts writes, any other status).
 *
 * @example
 * databaseEvidence({ role: 'primary', status: 'storage-optimization', writable: false }); // { evidence: 'ok' }
 * databaseEvidence({ role: 'unknown', status: 'unreachable', writable: false }).evidence; // 'unknown'
 * databaseEvidence({ role: 'primary', status: 'failed', writable: false }).evidence; // 'failed'
 * databaseEvidence({ role: 'unknown', status: 'connection-failed', writable: false }).evidence; // 'failed'
 */
export function databaseEvidence(database: ObservedDatabase): { evidence: DatabaseEvidence; problem?: string } {
  const meaning = statusMeaning(database.status);
  if (meaning === 'terminal') return { evidence: 'failed', problem: `status ${database.status} (terminal)` };
  if (meaning === 'down') return { evidence: 'failed', problem: `status ${database.status} (data plane: the database did not answer)` };
  if (meaning === 'unknown') {
    return { evidence: 'unknown', problem: `status ${database.status} (control plane only: neither healthy nor failed)` };
  }
  if (database.role === 'unknown') return { evidence: 'unknown', problem: 'role unknown' };
  if (database.role === 'replica' && database.writable) return { evidence: 'unknown', problem: 'a replica that accepts writes' };
  if (database.role !== 'replica' && database.fenced === true) return { evidence: 'unknown', problem: `${database.role} is fenced` };
  return { evidence: 'ok' };
}

/**
 * The evidence of a stored observation. Reports written before `evidence` existed carry only `ok`; a not-ok one is
 * read through the status table, so an old control-plane blip still never counts as a failure.
 *
 * @example
 * evidenceOf({ ok: false, role: 'unknown', status: 'unreachable' }); // 'unknown'
 */
export function evidenceOf(observation: { readonly ok: boolean; readonly status: string; readonly evidence?: DatabaseEvidence }): DatabaseEvidence {
  if (observation.evidence !== undefined) return observation.evidence;
  if (observation.ok) return 'ok';
  const meaning = statusMeaning(observation.status);
  return meaning === 'terminal' || meaning === 'down' ? 'failed' : 'unknown';
}
