import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/adapters/clock/systemClock.js';
import { runProbeRound } from '../../src/application/probeRound.js';
import { composeLocalDrill, type LocalDrill } from '../../src/composition/localDrill.js';
import type { ControlPlaneStores } from '../../src/composition/controlPlane.js';
import { loadConfig } from '../../src/config/load.js';
import { DRILL_CONFIG_PATH } from '../../src/drill/runDrill.js';
import type { Prober } from '../../src/ports/Prober.js';
import { InMemoryCommandQueue } from '../doubles/InMemoryCommandQueue.js';
import { InMemoryEventLog } from '../doubles/InMemoryEventLog.js';
import { InMemoryFaultStore } from '../doubles/InMemoryFaultStore.js';
import { InMemoryFleetLedger } from '../doubles/InMemoryFleetLedger.js';
import { InMemoryObservationStore } from '../doubles/InMemoryObservationStore.js';
import { InMemoryStateStore } from '../doubles/InMemoryStateStore.js';

function memoryStores(): ControlPlaneStores {
  return {
    stateStore: new InMemoryStateStore(),
    eventLog: new InMemoryEventLog(),
    observations: new InMemoryObservationStore(),
    commands: new InMemoryCommandQueue(),
    fleet: new InMemoryFleetLedger(),
    faults: new InMemoryFaultStore(),
  };
}

const opened: LocalDrill<Prober>[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((drill) => drill.world.close()));
});

async function compose(stores: ControlPlaneStores): Promise<LocalDrill<Prober>> {
  const config = await loadConfig(DRILL_CONFIG_PATH);
  const drill = await composeLocalDrill({ config, group: config.groups[0]!, stores, clock: systemClock, prober: (http) => http });
  opened.push(drill);
  return drill;
}

describe('the local drill composition', () => {
  it('probes through each observer’s own view of the world: a partitioned observer sees the region fail, another sees it healthy', async () => {
    // Prepare
    const stores = memoryStores();
    const drill = await compose(stores);
    await drill.world.inject({ kind: 'partition', observer: 'us-east-1', region: 'eu-west-1' });

    // Act
    const cutOff = await runProbeRound(drill.probe('us-east-1'), { observerRegion: 'us-east-1', groups: [drill.world.group] });
    const clear = await runProbeRound(drill.probe('ap-southeast-2'), { observerRegion: 'ap-southeast-2', groups: [drill.world.group] });

    // Assess
    expect(cutOff.regions.find((region) => region.region === 'eu-west-1')?.ok).toBe(false);
    expect(clear.regions.find((region) => region.region === 'eu-west-1')?.ok).toBe(true);
    const reports = await stores.observations.listForGroup(drill.world.group.id, []);
    expect([...new Set(reports.map((report) => report.observerRegion))].sort()).toEqual(['ap-southeast-2', 'us-east-1']);
  });

  it('gives the executor the world’s databases, hosted zone and topic, the stores given, and the world’s group only', async () => {
    // Prepare
    const stores = memoryStores();

    // Act
    const drill = await compose(stores);

    // Assess
    expect(drill.executor.database).toBe(drill.world.database);
    expect(drill.executor.traffic).toBe(drill.world.traffic);
    expect(drill.executor.notifier).toBe(drill.world.notifier);
    expect(drill.executor.stateStore).toBe(stores.stateStore);
    expect(drill.executor.commands).toBe(stores.commands);
    expect(drill.config.groups).toEqual([drill.world.group]);
  });
});
