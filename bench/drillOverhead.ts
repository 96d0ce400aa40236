/**
 * The control plane's share of a drill's RTO (#11), for every scenario that fails over, at the default time factor, on
 * DynamoDB Local: the RTO less what the failover waited on outside the control plane, as the simulated world timed it
 * (the provider's promotion and DNS propagation, a Route 53 API refusing calls, an operator deciding; see
 * `OverheadBreakdown` in src/drill/report.ts). Prints each figure next to the goal (≤ 2 s), then where it went, step
 * by step; a run the machine made untrustworthy says so instead of giving a figure.
 *   npm run bench -- --drills
 */
import { startDynamoDbLocal } from '../src/drill/dynamodbLocal.js';
import { formatDuration } from '../src/drill/format.js';
import { CONTROL_PLANE_OVERHEAD_GOAL_MS } from '../src/drill/report.js';
import { DEFAULT_CLOCK_FACTOR, runDrill } from '../src/drill/runDrill.js';
import { SCENARIOS } from '../src/drill/scenarios/library.js';
import { localDrillStores } from '../src/drill/stores.js';

export async function drillOverhead(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const local = await startDynamoDbLocal();
  const figures: number[] = [];
  try {
    for (const scenario of SCENARIOS.filter((candidate) => candidate.expect.failover)) {
      const { stores, close } = await localDrillStores(local.endpoint, `bench-drill-${scenario.name}`);
      try {
        const result = await runDrill({ scenario, stores, factor: DEFAULT_CLOCK_FACTOR });
        const overhead = result.report?.controlPlaneOverheadMs;
        if (result.outcome === 'not-trusted') {
          console.log(`drill overhead ${scenario.name.padEnd(48)} not trusted (the machine was too busy)`);
        } else if (overhead !== undefined) {
          figures.push(overhead);
          const verdict = overhead <= CONTROL_PLANE_OVERHEAD_GOAL_MS ? 'ok' : 'MISSED';
          console.log(`drill overhead ${scenario.name.padEnd(48)} ${formatDuration(overhead).padStart(9)}  (goal ≤ ${formatDuration(CONTROL_PLANE_OVERHEAD_GOAL_MS)}) ${verdict}`);
          const steps = (result.report?.overhead?.steps ?? []).filter((step) => step.overheadMs > 0);
          console.log(`               ${steps.map((step) => `${step.name} ${formatDuration(step.overheadMs)}`).join(', ')}`);
        }
      } finally {
        close();
      }
    }
  } finally {
    await local.stop();
  }
  const worst = Math.max(...figures);
  console.log(
    `drill overhead: worst ${formatDuration(worst)} over ${figures.length} failing-over scenarios at ×${DEFAULT_CLOCK_FACTOR} (goal ≤ ${formatDuration(CONTROL_PLANE_OVERHEAD_GOAL_MS)} in every one: ${worst <= CONTROL_PLANE_OVERHEAD_GOAL_MS ? 'met' : 'not met'})`,
  );
}
