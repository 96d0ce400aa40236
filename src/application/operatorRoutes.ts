import type { OperatorCommandType } from '../ports/CommandQueue.js';

/**
 * The operator API's routes: the one home of which paths exist, what each one needs, and how the CLI, the local drill
 * server, the deployed HTTP API (serverless.yml, through scripts/sls-config.cjs) and the example IAM policies
 * (deploy/operator-policies/) name them.
 *
 * The group and the command are in the path so that an `execute-api:Invoke` policy can grant them separately: IAM sees
 * `arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/POST/groups/orders/commands/approve`, never the body.
 */

/**
 * What a route needs. `read` to `break-glass` are cumulative: each level includes the ones before it (the example
 * policies follow it). `drill` stands apart: starting or stopping a staging drill injects a fault the real control
 * plane acts on, so it is granted on its own (deploy/operator-policies/drill-runner.json), never implied by another level.
 */
export type OperatorAccess = 'read' | 'approve' | 'operate' | 'break-glass' | 'drill';

export const ACCESS_LEVELS: readonly OperatorAccess[] = ['read', 'approve', 'operate', 'break-glass'];

/** A failover that accepts losing the replica lag: its own route, so that only break-glass policies grant it. */
export const ALLOW_DATA_LOSS_ROUTE = 'failover-allow-data-loss';

/** The last path segment of `POST /groups/{group}/commands/<name>`. */
export type CommandRouteName = OperatorCommandType | typeof ALLOW_DATA_LOSS_ROUTE;

/** Which access each command route needs; one row per command, so a new command type cannot be left unrouted. */
export const COMMAND_ROUTE_ACCESS = {
  approve: 'approve',
  reject: 'approve',
  failover: 'operate',
  switchover: 'operate',
  abort: 'operate',
  retry: 'operate',
  pause: 'operate',
  resume: 'operate',
  acknowledge: 'operate',
  reprotect: 'operate',
  cancel: 'operate',
  [ALLOW_DATA_LOSS_ROUTE]: 'break-glass',
} as const satisfies Record<CommandRouteName, OperatorAccess>;

export const COMMAND_ROUTE_NAMES = Object.keys(COMMAND_ROUTE_ACCESS) as CommandRouteName[];

export interface OperatorRoute {
  readonly method: 'GET' | 'POST';
  /** API Gateway route syntax: `{group}`, `{commandId}` and `{drillId}` are path parameters. */
  readonly path: string;
  readonly access: OperatorAccess;
  /** `fleet`: answers about every group (grant it only to who may read them all); `group`: one group. */
  readonly scope: 'fleet' | 'group';
}

/**
 * Every route of the operator API, as the HTTP API serves them.
 *
 * @example
 * OPERATOR_ROUTES.filter((route) => route.access === 'read').map((route) => `${route.method} ${route.path}`);
 */
export const OPERATOR_ROUTES: readonly OperatorRoute[] = [
  { method: 'GET', path: '/groups', access: 'read', scope: 'fleet' },
  { method: 'GET', path: '/history', access: 'read', scope: 'fleet' },
  { method: 'GET', path: '/groups/{group}', access: 'read', scope: 'group' },
  { method: 'GET', path: '/groups/{group}/history', access: 'read', scope: 'group' },
  { method: 'GET', path: '/groups/{group}/events', access: 'read', scope: 'group' },
  { method: 'GET', path: '/groups/{group}/plan', access: 'read', scope: 'group' },
  { method: 'GET', path: '/groups/{group}/commands', access: 'read', scope: 'group' },
  { method: 'GET', path: '/groups/{group}/commands/{commandId}', access: 'read', scope: 'group' },
  ...COMMAND_ROUTE_NAMES.map((name): OperatorRoute => ({
    method: 'POST',
    path: `/groups/{group}/commands/${name}`,
    access: COMMAND_ROUTE_ACCESS[name],
    scope: 'group',
  })),
  { method: 'POST', path: '/groups/{group}/drills', access: 'drill', scope: 'group' },
  { method: 'GET', path: '/groups/{group}/drills/{drillId}', access: 'read', scope: 'group' },
  { method: 'POST', path: '/groups/{group}/drills/{drillId}/stop', access: 'drill', scope: 'group' },
];

/**
 * The route a command goes to: its type, except a failover that accepts data loss.
 *
 * @example
 * commandRouteOf('failover', true); // 'failover-allow-data-loss'
 */
export function commandRouteOf(type: OperatorCommandType, allowDataLoss?: boolean): CommandRouteName {
  return type === 'failover' && allowDataLoss === true ? ALLOW_DATA_LOSS_ROUTE : type;
}

/** Whether a path segment names a command route. */
export function isCommandRouteName(name: string): name is CommandRouteName {
  return Object.hasOwn(COMMAND_ROUTE_ACCESS, name);
}

const segment = encodeURIComponent;

/**
 * The concrete paths the CLI and the dashboard call.
 *
 * @example
 * operatorPaths.command('orders', 'failover', true); // '/groups/orders/commands/failover-allow-data-loss'
 */
export const operatorPaths = {
  allGroups: (): string => '/groups',
  allHistory: (): string => '/history',
  group: (groupId: string): string => `/groups/${segment(groupId)}`,
  history: (groupId: string): string => `/groups/${segment(groupId)}/history`,
  events: (groupId: string): string => `/groups/${segment(groupId)}/events`,
  plan: (groupId: string): string => `/groups/${segment(groupId)}/plan`,
  pending: (groupId: string): string => `/groups/${segment(groupId)}/commands`,
  commandLookup: (groupId: string, commandId: string): string => `/groups/${segment(groupId)}/commands/${segment(commandId)}`,
  command: (groupId: string, type: OperatorCommandType, allowDataLoss?: boolean): string =>
    `/groups/${segment(groupId)}/commands/${commandRouteOf(type, allowDataLoss)}`,
  drills: (groupId: string): string => `/groups/${segment(groupId)}/drills`,
  drill: (groupId: string, drillId: string): string => `/groups/${segment(groupId)}/drills/${segment(drillId)}`,
  stopDrill: (groupId: string, drillId: string): string => `/groups/${segment(groupId)}/drills/${segment(drillId)}/stop`,
};
