import { isIP } from 'node:net';
import { lookup, Resolver } from 'node:dns/promises';
import type { DnsTarget, GroupConfig } from '../../config/schema.js';
import { RetryableStepError } from '../../domain/errors.js';
import type { RegionName } from '../../domain/types.js';

/** DNS error codes meaning "the name servers answered: no such record (yet)". */
const NO_ANSWER = new Set(['ENODATA', 'ENOTFOUND', 'ENONAME']);

export interface AuthoritativeAnswersOptions {
  /** Per query try; the resolver's default is 5 s, too long inside a step. */
  readonly timeoutMs?: number;
  readonly tries?: number;
  /** Resolves a name server's host name (or a target's alias name) to addresses: the system resolver by default. */
  readonly lookupAddresses?: (host: string, family: 4 | 6) => Promise<string[]>;
}

/**
 * Asks a hosted zone's authoritative name servers, by DNS and nothing else, what they answer for a record: what
 * clients get once caches expire. No Route 53 API call is made, so this works while the Route 53 control plane
 * (us-east-1) is impaired.
 *
 * @example
 * const answers = new AuthoritativeAnswers();
 * await answers.regionAnswered(group); // 'us-east-1' when the name servers answer us-east-1's target
 */
export class AuthoritativeAnswers {
  readonly #timeoutMs: number;
  readonly #tries: number;
  readonly #lookup: (host: string, family: 4 | 6) => Promise<string[]>;

  constructor(options: AuthoritativeAnswersOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 2_000;
    this.#tries = options.tries ?? 2;
    this.#lookup = options.lookupAddresses ?? systemLookup;
  }

  /**
   * The values the name servers answer for the group's record: CNAME targets, or A/AAAA addresses. Empty when they
   * answer that there is no such record. Throws `RetryableStepError` when none of them answers.
   *
   * @example
   * await answers.answer(group); // ['orders.us-east-1.example.com']
   */
  async answer(group: GroupConfig): Promise<string[]> {
    const { nameServers, recordName, type } = group.dns;
    if (nameServers === undefined || nameServers.length === 0) {
      throw new RetryableStepError(`group ${group.id}: dns.nameServers is not set; the authoritative name servers cannot be asked`, {
        groupId: group.id,
      });
    }
    const resolver = new Resolver({ timeout: this.#timeoutMs, tries: this.#tries });
    resolver.setServers(await this.#serverAddresses(nameServers));
    const name = recordName.replace(/\.$/, '');
    try {
      if (type === 'CNAME') return (await resolver.resolveCname(name)).map(normalizeName);
      return type === 'A' ? await resolver.resolve4(name) : await resolver.resolve6(name);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && NO_ANSWER.has(code)) return [];
      throw new RetryableStepError(
        `group ${group.id}: the name servers ${nameServers.join(', ')} did not answer ${type} ${name} (${String(code ?? error)})`,
        { groupId: group.id, cause: error },
      );
    }
  }

  /**
   * The region whose dnsTarget the name servers answer, or undefined when they answer none (or several) of them.
   * An alias (A/AAAA) target counts when every answered address is one of the addresses its alias name resolves to.
   *
   * @example
   * await answers.regionAnswered(group); // 'eu-west-1'
   */
  async regionAnswered(group: GroupConfig): Promise<RegionName | undefined> {
    const answered = await this.answer(group);
    if (answered.length === 0) return undefined;
    const matches: RegionName[] = [];
    for (const [region, config] of Object.entries(group.regions)) {
      if (await this.#answers(config.dnsTarget, answered)) matches.push(region);
    }
    return matches.length === 1 ? matches[0] : undefined;
  }

  async #answers(target: DnsTarget, answered: readonly string[]): Promise<boolean> {
    if (target.type === 'CNAME') return answered.every((value) => value === normalizeName(target.value));
    const addresses = new Set(await this.#lookup(target.aliasDnsName, target.type === 'A' ? 4 : 6).catch(() => [] as string[]));
    return answered.every((address) => addresses.has(address));
  }

  /** `setServers` takes addresses (with an optional port), not host names: resolve those with the system resolver. */
  async #serverAddresses(nameServers: readonly string[]): Promise<string[]> {
    const addresses = await Promise.all(
      nameServers.map(async (server) => {
        if (isIP(server) !== 0 || /^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(server) || server.startsWith('[')) return [server];
        return this.#lookup(server.replace(/\.$/, ''), 4).catch(() => [] as string[]);
      }),
    );
    const flat = addresses.flat();
    if (flat.length === 0) {
      throw new RetryableStepError(`none of the name servers ${nameServers.join(', ')} resolved to an address`);
    }
    return flat;
  }
}

async function systemLookup(host: string, family: 4 | 6): Promise<string[]> {
  return (await lookup(host, { all: true, family })).map((entry) => entry.address);
}

/** DNS names compare case-insensitively, without the trailing dot. */
function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}
