import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthoritativeAnswers } from '../../../src/adapters/dns/AuthoritativeAnswers.js';
import { GroupSchema, type GroupConfig } from '../../../src/config/schema.js';
import { RetryableStepError } from '../../../src/domain/errors.js';
import { startDnsServer, type TestDnsServer } from '../../support/dnsServer.js';
import { auroraGroup, rdsGroup } from '../aws/fixtures.js';

let dns: TestDnsServer;

beforeAll(async () => {
  dns = await startDnsServer();
});

afterAll(async () => {
  await dns.close();
});

function askingTestServer(base: GroupConfig, nameServers = [dns.address]): GroupConfig {
  return GroupSchema.parse({ ...base, dns: { ...base.dns, nameServers } });
}

describe("asking a zone's authoritative name servers by DNS", () => {
  it('names the region whose CNAME target the name servers answer', async () => {
    // Prepare
    const group = askingTestServer(rdsGroup);
    dns.answer('orders.example.com', 'CNAME', ['EU-CENTRAL.orders.example.com.']);

    // Act
    const region = await new AuthoritativeAnswers({ timeoutMs: 500, tries: 1 }).regionAnswered(group);

    // Assess
    expect(region).toBe('eu-central-1');
    expect(dns.questions.at(-1)).toBe('CNAME orders.example.com');
  });

  it('names the region whose alias target resolves to the addresses answered for an A record', async () => {
    // Prepare
    const group = askingTestServer(auroraGroup);
    const [east, west] = Object.values(auroraGroup.regions).map((region) => (region.dnsTarget.type === 'A' ? region.dnsTarget.aliasDnsName : ''));
    dns.answer(auroraGroup.dns.recordName, 'A', ['192.0.2.20', '192.0.2.21']);
    const lookupAddresses = async (host: string) => (host === west ? ['192.0.2.21', '192.0.2.20'] : host === east ? ['192.0.2.10'] : []);

    // Act
    const region = await new AuthoritativeAnswers({ timeoutMs: 500, tries: 1, lookupAddresses }).regionAnswered(group);

    // Assess
    expect(region).toBe(Object.keys(auroraGroup.regions)[1]);
  });

  it('answers no region when the name servers have no such record', async () => {
    // Prepare
    const group = askingTestServer({ ...rdsGroup, dns: { ...rdsGroup.dns, recordName: 'missing.example.com' } });

    // Act
    const region = await new AuthoritativeAnswers({ timeoutMs: 500, tries: 1 }).regionAnswered(group);

    // Assess
    expect(region).toBeUndefined();
  });

  it('answers no region when the name servers answer a target no region has', async () => {
    // Prepare
    const group = askingTestServer({ ...rdsGroup, dns: { ...rdsGroup.dns, recordName: 'elsewhere.example.com' } });
    dns.answer('elsewhere.example.com', 'CNAME', ['parked.example.net']);

    // Act
    const region = await new AuthoritativeAnswers({ timeoutMs: 500, tries: 1 }).regionAnswered(group);

    // Assess
    expect(region).toBeUndefined();
  });

  it('says the name servers did not answer, retryably, when none of them does', async () => {
    // Prepare: a bound UDP socket that never replies.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const group = askingTestServer(rdsGroup, [`127.0.0.1:${(silent.address() as AddressInfo).port}`]);

    // Act
    const asking = new AuthoritativeAnswers({ timeoutMs: 200, tries: 1 }).answer(group);

    // Assess
    await expect(asking).rejects.toThrow(RetryableStepError);
    await expect(asking).rejects.toThrow(/the name servers 127\.0\.0\.1:\d+ did not answer CNAME orders\.example\.com/);
    silent.close();
  });
});
