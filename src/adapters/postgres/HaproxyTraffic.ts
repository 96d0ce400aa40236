import { connect } from 'node:net';
import type { GroupConfig, HaproxyTrafficConfig, PostgresDatabaseConfig } from '../../config/schema.js';
import type { RegionName } from '../../domain/types.js';
import { FatalStepError, RetryableStepError } from '../../domain/errors.js';
import type { ChangeStatus, PointToResult, Traffic } from '../../ports/Traffic.js';
import { HAPROXY_CHANGE_PREFIX } from './changeIds.js';
import { endpointOf, passwordFromEnvironment, regionAt, withClient, type PasswordLookup } from './connection.js';

export { HAPROXY_CHANGE_PREFIX };

export interface HaproxyTrafficOptions {
  readonly passwords?: PasswordLookup;
  /** Bound on one runtime API exchange and one client connection through the proxy; default 2000 ms. */
  readonly timeoutMs?: number;
}

/**
 * The Traffic port on HAProxy in front of self-managed PostgreSQL: the group's `trafficSwitch.backend` has one server
 * per region (named as the region); exactly one is `ready`, the others in `maint`. `pointTo` puts every other server
 * in maintenance and ends its sessions, then makes the target ready, in one runtime API exchange (no moment with two
 * writers behind the proxy). `currentRegion` connects through the proxy as a client does and asks the server which
 * address it is (`inet_server_addr()`, `inet_server_port()`), so the switch is verified by where a client really
 * lands, not by HAProxy's own view. Changes apply at once: their change ids are in sync as soon as they exist.
 *
 * HAProxy forgets runtime changes on restart unless it saves them (`server-state-file`, `load-server-state-from-file`).
 */
export class HaproxyTraffic implements Traffic {
  readonly #passwords: PasswordLookup;
  readonly #timeoutMs: number;

  constructor(options: HaproxyTrafficOptions = {}) {
    this.#passwords = options.passwords ?? passwordFromEnvironment;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
  }

  /**
   * The region whose server a client reaches through the proxy now, or undefined when none answers or it is no region.
   *
   * @example
   * await traffic.currentRegion(group); // 'eu-west-1'
   */
  async currentRegion(group: GroupConfig): Promise<RegionName | undefined> {
    const proxy = switchOf(group);
    const config: PostgresDatabaseConfig = {
      kind: 'postgres',
      url: proxy.clientUrl,
      connectTimeoutMs: this.#timeoutMs,
      promoteWaitSeconds: 1,
      ...(proxy.passwordFrom === undefined ? {} : { passwordFrom: proxy.passwordFrom }),
    };
    let server: { address: string | null; port: number | null } | undefined;
    try {
      server = await withClient({ group, region: 'proxy', config }, this.#passwords, async (client) => {
        const { rows } = await client.query<{ address: string | null; port: number | null }>(
          'SELECT host(inet_server_addr()) AS address, inet_server_port() AS port',
        );
        return rows[0];
      });
    } catch {
      return undefined;
    }
    if (server?.port === null || server?.port === undefined) return undefined;
    return regionAt(group, server.address ?? 'localhost', server.port) ?? regionByPortOnly(group, server.port);
  }

  /**
   * Sends the proxy's clients to `region`'s server. Observes first: when that server is already the only ready one,
   * nothing changes.
   *
   * @example
   * await traffic.pointTo(group, 'us-east-1', 'failover f-1'); // { changed: true }
   */
  async pointTo(group: GroupConfig, region: RegionName, _comment: string): Promise<PointToResult> {
    const proxy = switchOf(group);
    if (group.regions[region] === undefined) {
      throw new FatalStepError(`group ${group.id} has no region ${region}`, { groupId: group.id, region, step: 'switchingTraffic' });
    }
    const states = await this.#serverStates(group, proxy);
    const others = Object.keys(group.regions).filter((name) => name !== region);
    if (states.get(region) === 'ready' && others.every((name) => states.get(name) !== 'ready')) return { changed: false };
    const commands = [
      ...others.flatMap((name) => [`set server ${proxy.backend}/${name} state maint`, `shutdown sessions server ${proxy.backend}/${name}`]),
      `set server ${proxy.backend}/${region} state ready`,
    ];
    const answer = await this.#runtime(group, proxy, commands.join(';'));
    if (answer.trim() !== '') {
      throw new RetryableStepError(`group ${group.id}: HAProxy ${proxy.runtimeApi} refused the switch to ${region}: ${answer.trim()}`, {
        groupId: group.id,
        region,
        step: 'switchingTraffic',
      });
    }
    return { changed: true, changeId: `${HAPROXY_CHANGE_PREFIX}${Date.now()}` };
  }

  /** HAProxy applies runtime changes at once: every change it made is in sync. */
  async changeStatus(_changeId: string): Promise<ChangeStatus> {
    return 'INSYNC';
  }

  /** Each server's administrative state: `ready` or `maint`, from `show servers state`. */
  async #serverStates(group: GroupConfig, proxy: HaproxyTrafficConfig): Promise<Map<string, 'ready' | 'maint'>> {
    const text = await this.#runtime(group, proxy, `show servers state ${proxy.backend}`);
    const states = new Map<string, 'ready' | 'maint'>();
    for (const line of text.split('\n')) {
      // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ...; admin state bits 0x23 are maintenance
      // (forced, inherited, resolution); 0x04 only remembers that the configuration started the server disabled.
      const fields = line.trim().split(/\s+/);
      if (fields.length < 7 || !/^\d+$/.test(fields[0] ?? '')) continue;
      const name = fields[3]!;
      states.set(name, (Number(fields[6]) & 0x23) === 0 ? 'ready' : 'maint');
    }
    if (states.size === 0) {
      throw new FatalStepError(`group ${group.id}: HAProxy ${proxy.runtimeApi} has no backend ${proxy.backend} with servers: ${text.trim()}`, {
        groupId: group.id,
        step: 'switchingTraffic',
      });
    }
    return states;
  }

  #runtime(group: GroupConfig, proxy: HaproxyTrafficConfig, command: string): Promise<string> {
    const address = new URL(proxy.runtimeApi);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: address.hostname, port: Number(address.port) });
      let answer = '';
      socket.setTimeout(this.#timeoutMs, () => socket.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      socket.on('connect', () => socket.end(`${command}\n`));
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('close', (hadError) => {
        if (!hadError) resolve(answer);
      });
      socket.on('error', (error) =>
        reject(
          new RetryableStepError(`group ${group.id}: HAProxy runtime API ${proxy.runtimeApi}: ${error.message}`, {
            groupId: group.id,
            step: 'switchingTraffic',
            cause: error,
          }),
        ),
      );
    });
  }
}

function switchOf(group: GroupConfig): HaproxyTrafficConfig {
  const proxy = group.trafficSwitch;
  if (proxy?.kind !== 'haproxy') {
    throw new FatalStepError(`group ${group.id} has no trafficSwitch of kind haproxy`, { groupId: group.id, step: 'switchingTraffic' });
  }
  return proxy;
}

/** A server that reports an address the configuration names differently (a DNS name): its port, when only one region has it. */
function regionByPortOnly(group: GroupConfig, port: number): RegionName | undefined {
  const matches = Object.entries(group.regions).filter(
    ([, region]) => region.database.kind === 'postgres' && endpointOf(region.database).port === port,
  );
  return matches.length === 1 ? matches[0]![0] : undefined;
}
