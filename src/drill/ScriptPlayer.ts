import type { SimFaultHandle, SimWorld } from '../adapters/sim/SimWorld.js';
import type { GroupConfig } from '../config/schema.js';
import type { EpochMs, RegionName } from '../domain/types.js';
import type { Clock } from '../ports/Clock.js';
import type { CommandQueue } from '../ports/CommandQueue.js';
import type { DrillExecutors } from './crashInjection.js';
import { describeFault } from './describeFault.js';
import type { EventTrail } from './eventTrail.js';
import type { FaultControl } from './interactiveFaults.js';
import type { ProgressWithoutTime } from './progress.js';
import type { DrillAction, DrillTrigger, Scenario } from './scenarios/types.js';

/** What the script acts on. */
export interface ScriptStage {
  readonly scenario: Scenario;
  readonly group: GroupConfig;
  readonly world: Pick<SimWorld, 'inject'>;
  readonly commands: CommandQueue;
  readonly clock: Clock;
  readonly trail: EventTrail;
  readonly executors: DrillExecutors;
  /** Who the scripted operator commands are recorded as. */
  readonly principalArn: string;
  /** T+0 of the run. */
  startedAt(): EpochMs;
  /**
   * An operator command was queued: the operator API runs the executor at once (src/application/operatorApi.ts);
   * the drill does the same, beside the probe rounds, not after the next one.
   */
  commandQueued(commandId: string): void;
  emit(progress: ProgressWithoutTime): void;
}

interface PendingEntry {
  readonly index: number;
  readonly at: DrillTrigger;
  readonly action: DrillAction;
}

/**
 * Plays a scenario's script: at each probe round the entries that are due (their seconds have passed, or their state
 * was reached) happen in order: faults injected into and cleared from the world, operator commands enqueued (so
 * `decideCommand` judges them as it would an operator's) and taken at once, as the operator API does, executor
 * crashes armed. Keeps what the run needs to know of
 * the world it changed: the regions down, the first command's time.
 *
 * @example
 * const player = new ScriptPlayer(stage);
 * await player.fireDue(); // at the start of each probe round
 * player.downRegions.has('eu-west-1'); // a region-outage is in effect
 */
export class ScriptPlayer {
  /** Regions under a `region-outage`: their observers and control-plane executors do not run. */
  readonly downRegions = new Set<RegionName>();
  /** When the first scripted operator command was enqueued. */
  firstCommandAt: EpochMs | undefined;
  /** When each operator command was queued: the operator's time ends there, the control plane's begins. */
  readonly commandsAt: EpochMs[] = [];
  private pending: PendingEntry[];
  private readonly faultHandles = new Map<string, SimFaultHandle>();
  private interactiveFaults = 0;

  constructor(private readonly stage: ScriptStage) {
    this.pending = stage.scenario.script.map((entry, index) => ({ index, ...entry }));
  }

  /** Performs every entry now due, in script order. */
  async fireDue(): Promise<void> {
    const { clock, trail } = this.stage;
    const now = clock.now();
    const due = this.pending.filter((entry) => trail.isDue(entry.at, this.stage.startedAt(), now));
    this.pending = this.pending.filter((entry) => !due.includes(entry));
    for (const entry of due) await this.perform(entry);
  }

  /**
   * What `fcp --local inject|clear` may do to the world while it keeps running: inject a fault now (as a scripted
   * `inject` would), clear one or all of those injected so.
   */
  faultControl(): FaultControl {
    const interactive = new Map<string, string>();
    return {
      regions: Object.keys(this.stage.group.regions),
      inject: async (fault) => {
        this.interactiveFaults += 1;
        const id = `fault-${this.interactiveFaults}`;
        await this.perform({ index: -1, at: { seconds: 0 }, action: { kind: 'inject', fault, id } });
        interactive.set(id, describeFault(fault));
        return { id, description: describeFault(fault) };
      },
      clear: async (id) => {
        const ids = id === undefined ? [...interactive.keys()] : interactive.has(id) ? [id] : [];
        for (const each of ids) {
          await this.perform({ index: -1, at: { seconds: 0 }, action: { kind: 'clear', id: each } });
          interactive.delete(each);
        }
        return ids;
      },
      active: () => [...interactive].map(([id, description]) => ({ id, description })),
    };
  }

  private async perform(entry: PendingEntry): Promise<void> {
    const { action } = entry;
    const { scenario, group, clock } = this.stage;
    const startedAt = this.stage.startedAt();
    switch (action.kind) {
      case 'inject': {
        const handle = await this.stage.world.inject(action.fault);
        if (action.id !== undefined) this.faultHandles.set(action.id, handle);
        if (action.fault.kind === 'region-outage') this.downRegions.add(action.fault.region);
        this.stage.emit({ kind: 'action', atMs: handle.injectedAt - startedAt, description: `fault injected: ${describeFault(action.fault)}` });
        return;
      }
      case 'clear': {
        const handle = this.faultHandles.get(action.id);
        if (handle === undefined) throw new RangeError(`scenario ${scenario.name}: no fault was injected with id ${action.id}`);
        await handle.clear();
        if (handle.fault.kind === 'region-outage') this.downRegions.delete(handle.fault.region);
        this.stage.emit({ kind: 'action', atMs: clock.now() - startedAt, description: `fault cleared: ${describeFault(handle.fault)}` });
        return;
      }
      case 'command': {
        const requestedAt = clock.now();
        this.firstCommandAt ??= requestedAt;
        this.commandsAt.push(requestedAt);
        const id = `${scenario.name}-${entry.index}-${startedAt}`;
        await this.stage.commands.enqueue({
          id,
          groupId: group.id,
          type: action.type,
          principalArn: this.stage.principalArn,
          reason: action.reason,
          requestedAt,
          drillScenario: scenario.name,
          ...(action.targetRegion === undefined ? {} : { targetRegion: action.targetRegion }),
          ...(action.allowDataLoss === undefined ? {} : { allowDataLoss: action.allowDataLoss }),
        });
        const flags = [
          action.targetRegion === undefined ? '' : ` --to ${action.targetRegion}`,
          action.allowDataLoss === true ? ' --allow-data-loss' : '',
        ].join('');
        this.stage.emit({ kind: 'action', atMs: requestedAt - startedAt, description: `operator: fcp ${action.type} ${group.id}${flags} --reason "${action.reason}"` });
        this.stage.commandQueued(id);
        return;
      }
      case 'crash-executor':
        this.stage.executors.arm(action.at, action.regionDown === true);
        this.stage.emit({ kind: 'action', atMs: clock.now() - startedAt, description: `the executor will die right after its next ${action.at} call` });
        return;
    }
  }
}
