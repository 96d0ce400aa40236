export { createDynamoDbStores, type DynamoDbStores, type DynamoDbStoresOptions } from './createDynamoDbStores.js';
export { createTable, tableDefinition } from './table.js';
export { DynamoDbStateStore } from './DynamoDbStateStore.js';
export { DynamoDbEventLog } from './DynamoDbEventLog.js';
export { DynamoDbObservationStore } from './DynamoDbObservationStore.js';
export { DynamoDbCommandQueue } from './DynamoDbCommandQueue.js';
export { DynamoDbFleetLedger } from './DynamoDbFleetLedger.js';
export { DynamoDbFaultStore } from './DynamoDbFaultStore.js';
export { DynamoDbDrillReportStore } from './DynamoDbDrillReportStore.js';
