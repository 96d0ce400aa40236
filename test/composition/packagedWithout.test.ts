import { describe, expect, it } from 'vitest';
import { AuroraGlobalDatabase } from '../../src/adapters/aws/aurora/unavailable.js';
import { HaproxyTraffic, PostgresDatabase } from '../../src/adapters/postgres/unavailable.js';
import { loadConfig } from '../../src/config/load.js';
import { arcRoutingControlTraffic } from '../../src/composition/arcTrafficUnavailable.js';
import { connectionCheckProbe } from '../../src/composition/connectionCheckUnavailable.js';
import { FatalStepError } from '../../src/domain/errors.js';

const example = await loadConfig(new URL('../../config/example.yaml', import.meta.url).pathname);
const group = example.groups[0]!;

describe('the stand-in of an adapter left out of a Lambda artifact', () => {
  it('refuses every Aurora call, naming the group, the region and what to do', async () => {
    // Prepare
    const database = new AuroraGlobalDatabase({});

    // Act
    const calls = [
      database.describe(group, 'us-east-1'),
      database.fence(group, 'us-east-1'),
      database.promote(group, 'us-east-1'),
      database.createReplica(group, 'us-east-1'),
    ];

    // Assess
    for (const call of calls) {
      await expect(call).rejects.toThrow(FatalStepError);
      await expect(call).rejects.toThrow(/group payments, region us-east-1: this artifact was packaged without the Aurora Global Database adapter.*package it again/);
    }
  });

  it('refuses every ARC routing-control call, naming the group or the change and what to do', async () => {
    // Prepare
    const traffic = arcRoutingControlTraffic(example, () => ({}));

    // Act
    const calls = [traffic.currentRegion(group), traffic.pointTo(group, 'us-east-1', 'failover'), traffic.changeStatus('arc:payments:us-east-1')];

    // Assess
    await expect(calls[0]).rejects.toThrow(/^group payments: this artifact was packaged without the ARC routing-control switch/);
    await expect(calls[1]).rejects.toThrow(/^group payments, region us-east-1: this artifact was packaged without the ARC/);
    await expect(calls[2]).rejects.toThrow(/^change arc:payments:us-east-1: .*package it again with the configuration that has one$/);
    for (const call of calls) await expect(call).rejects.toThrow(FatalStepError);
  });

  it('refuses every PostgreSQL and HAProxy call, naming the group, the region or the change and what to do', async () => {
    // Prepare
    const database = new PostgresDatabase();
    const traffic = new HaproxyTraffic();

    // Act
    const calls = [database.describe(group, 'us-east-1'), database.promote(group, 'us-east-1'), traffic.currentRegion(group), traffic.changeStatus('haproxy:1')];

    // Assess
    await expect(calls[0]).rejects.toThrow(/^group payments, region us-east-1: this artifact was packaged without the PostgreSQL adapters because/);
    await expect(calls[1]).rejects.toThrow(/^group payments, region us-east-1: /);
    await expect(calls[2]).rejects.toThrow(/^group payments: this artifact was packaged without the PostgreSQL adapters/);
    await expect(calls[3]).rejects.toThrow(/^change haproxy:1: .*package it again with the configuration that has one$/);
    for (const call of calls) await expect(call).rejects.toThrow(FatalStepError);
  });

  it('refuses every connection check, naming the group, the region and what to do', async () => {
    // Prepare
    const probe = connectionCheckProbe(example);

    // Act
    const check = probe.check(group, 'us-east-1');

    // Assess
    await expect(check).rejects.toThrow(FatalStepError);
    await expect(check).rejects.toThrow(
      /^group payments, region us-east-1: this artifact was packaged without the database connection-check adapter because its configuration has no database.connectionCheck; package it again/,
    );
  });
});
