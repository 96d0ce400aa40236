import { drillTableStores } from '../composition/localDrill.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamodbLocal.js';
import type { DrillStores } from './runDrill.js';

/**
 * Creates a fresh table on a DynamoDB Local endpoint and answers the control plane's storage ports on it, named as
 * the drill needs them. `close()` releases the client's sockets.
 *
 * @example
 * const { stores, close } = await localDrillStores(local.endpoint, 'fcp-drill');
 * await runDrill({ scenario, stores });
 * close();
 */
export function localDrillStores(endpoint: string, tableName: string): Promise<{ stores: DrillStores; close: () => void }> {
  return drillTableStores({ endpoint, tableName, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}
