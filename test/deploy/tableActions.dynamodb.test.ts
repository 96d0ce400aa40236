import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deploymentFacts, type PolicyStatement } from '../../scripts/deployment-facts.js';
import { createDynamoDbStores, createTable } from '../../src/adapters/aws/dynamodb/index.js';
import { orchestrate } from '../../src/application/orchestrate.js';
import { runProbeRounds } from '../../src/application/probeRound.js';
import { trackedDatabase } from '../../src/application/trackedDatabase.js';
import { loadConfig } from '../../src/config/load.js';
import { inMemoryWorld, PRIMARY } from '../application/harness.js';
import { localClient } from '../support/dynamodbLocal.js';

/**
 * The IAM roles the stacks deploy (scripts/deployment-facts.ts) against the DynamoDB requests the functions really
 * send: the probe's rounds (reports, heartbeats, faults, topologies) and the orchestrator's passes through a whole
 * failover, on DynamoDB Local, each request's action recorded by a middleware on the client. A store that starts
 * sending a new kind of request fails here, not in production with AccessDenied.
 */

let client: DynamoDBClient;
/** Who is sending now, and what each has sent. */
let sender: 'setup' | 'probe' | 'orchestrate' = 'setup';
const sent = { setup: new Set<string>(), probe: new Set<string>(), orchestrate: new Set<string>() };

beforeAll(() => {
  client = localClient(inject('dynamodbEndpoint'));
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent[sender].add(`dynamodb:${(context.commandName ?? 'unknown').replace(/Command$/, '')}`);
      return next(args);
    },
    { step: 'initialize', name: 'recordTableActions' },
  );
});

afterAll(() => {
  client.destroy();
});

/** The DynamoDB actions a role's statements allow. */
function dynamoDbActions(statements: readonly PolicyStatement[]): string[] {
  return [...new Set(statements.flatMap((statement) => statement.Action).filter((action) => action.startsWith('dynamodb:')))].sort();
}

async function deployedRoles() {
  const configPath = 'test/deploy/fixtures/two-groups.yaml';
  const config = await loadConfig(configPath);
  const request = { service: 'failover-control-plane', stage: 'staging', configPath };
  const observerRegion = config.fleet.observerRegions[0]!;
  return {
    probe: dynamoDbActions(deploymentFacts(config, { ...request, observer: observerRegion }).iam.probe),
    orchestrate: dynamoDbActions(deploymentFacts(config, { ...request, observer: '' }).iam.orchestrate),
  };
}

describe('the deployed roles and the table requests the functions send', { timeout: 120_000 }, () => {
  it('allow every DynamoDB request of the probe rounds and of the orchestrator through a whole failover', async () => {
    // Prepare: the drill's group on a fresh table; the primary's endpoints fail from the fourth round on.
    const tableName = `table-actions-${process.pid}`;
    await createTable(client, tableName);
    const stores = createDynamoDbStores({ client, tableName });
    const { deps: world, group, clock } = inMemoryWorld();
    const roles = await deployedRoles();
    const probeDeps = {
      config: world.config,
      prober: world.prober,
      database: trackedDatabase(world.database, stores.stateStore, clock),
      observations: stores.observationStore,
      faults: stores.faultStore,
      clock,
    };
    const probeAll = async (rounds: number) => {
      sender = 'probe';
      for (const observerRegion of world.config.fleet.observerRegions) {
        await runProbeRounds(probeDeps, { observerRegion, deadline: clock.now() + rounds * group.policy.probeIntervalSeconds * 1000, maxRounds: rounds });
      }
    };
    const pass = (owner: string, ms: number) => {
      sender = 'orchestrate';
      return orchestrate(orchestratorDeps, { owner, deadline: clock.now() + ms });
    };
    const orchestratorDeps = {
      ...world,
      stateStore: stores.stateStore,
      eventLog: stores.eventLog,
      observations: stores.observationStore,
      commands: stores.commandQueue,
      fleet: stores.fleetLedger,
    };

    // Act: quiet rounds and passes, then the primary fails and the orchestrator fails the group over.
    await probeAll(3);
    await pass('quiet', 5_000);
    for (const endpoint of group.regions[PRIMARY]!.healthEndpoints) world.prober.failing.add(endpoint.url);
    await probeAll(group.policy.failureThreshold + 1);
    const states: string[] = [];
    for (let wave = 0; wave < 8 && !states.includes('failedOver'); wave += 1) {
      const outcomes = await pass(`pass-${wave}`, 30_000);
      states.push(...outcomes.map((outcome) => ('state' in outcome ? outcome.state : 'error')));
      clock.advance(10_000);
      await probeAll(1);
    }
    const probeSent = [...sent.probe].sort();
    const orchestrateSent = [...sent.orchestrate].sort();

    // Assess
    expect(states).toContain('failedOver');
    expect(probeSent).toEqual(expect.arrayContaining(['dynamodb:Query']));
    expect(orchestrateSent).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    expect(probeSent.filter((action) => !roles.probe.includes(action))).toEqual([]);
    expect(orchestrateSent.filter((action) => !roles.orchestrate.includes(action))).toEqual([]);
  });
});
