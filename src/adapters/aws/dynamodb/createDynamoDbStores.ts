import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CommandQueue } from '../../../ports/CommandQueue.js';
import type { EventLog } from '../../../ports/EventLog.js';
import type { FaultStore } from '../../../ports/FaultStore.js';
import type { FleetLedger } from '../../../ports/FleetLedger.js';
import type { ObservationStore } from '../../../ports/ObservationStore.js';
import type { StateStore } from '../../../ports/StateStore.js';
import { DynamoDbCommandQueue } from './DynamoDbCommandQueue.js';
import { DynamoDbEventLog } from './DynamoDbEventLog.js';
import { DynamoDbFaultStore } from './DynamoDbFaultStore.js';
import { DynamoDbFleetLedger } from './DynamoDbFleetLedger.js';
import { DynamoDbObservationStore } from './DynamoDbObservationStore.js';
import { DynamoDbStateStore } from './DynamoDbStateStore.js';

export interface DynamoDbStoresOptions {
  readonly tableName: string;
  /** A client to share; when absent one is built from `endpoint`, `region` and `credentials`. */
  readonly client?: DynamoDBClient;
  /** E.g. `http://127.0.0.1:8000` for DynamoDB Local. */
  readonly endpoint?: string;
  /** The table replica's region: the client's, and the one named when this region cannot write (cut off). */
  readonly region?: string;
  readonly credentials?: DynamoDBClientConfig['credentials'];
}

export interface DynamoDbStores {
  readonly client: DynamoDBClient;
  readonly stateStore: StateStore;
  readonly eventLog: EventLog;
  readonly observationStore: ObservationStore;
  readonly commandQueue: CommandQueue;
  readonly fleetLedger: FleetLedger;
  readonly faultStore: FaultStore;
}

/**
 * Builds the six storage ports on one table.
 *
 * @example
 * const stores = createDynamoDbStores({ tableName: process.env.FCP_TABLE_NAME ?? 'failover-control-plane' });
 * const record = await stores.stateStore.load('orders');
 */
export function createDynamoDbStores(options: DynamoDbStoresOptions): DynamoDbStores {
  const client =
    options.client ??
    new DynamoDBClient({
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.region === undefined ? {} : { region: options.region }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    });
  const documents = DynamoDBDocumentClient.from(client, {
    // Snapshots and details are JSON-shaped: drop undefined members and store class instances as maps, as JSON would.
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });
  const table = options.tableName;
  return {
    client,
    stateStore: new DynamoDbStateStore(documents, table, options.region),
    eventLog: new DynamoDbEventLog(documents, table),
    observationStore: new DynamoDbObservationStore(documents, table),
    commandQueue: new DynamoDbCommandQueue(documents, table),
    fleetLedger: new DynamoDbFleetLedger(documents, table),
    faultStore: new DynamoDbFaultStore(documents, table),
  };
}
