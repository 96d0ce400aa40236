import { describe, expect, it } from 'vitest';
import { replicaLagSeconds, repointedConninfo } from '../../../src/adapters/postgres/PostgresDatabase.js';

// The rule behind a postgres replica's replicaLagSeconds, on rows as DESCRIBE_SQL returns them.
const CAUGHT_UP = { receive_lsn: '0/3000060', replay_lsn: '0/3000060' } as const;
const BEHIND = { receive_lsn: '0/3000060', replay_lsn: '0/3000000' } as const;

describe('replicaLagSeconds', () => {
  it('is 0 when a fresh reading of the source proves the replica 0 bytes behind, even with no replayed transaction to date it', () => {
    // Act
    const lag = replicaLagSeconds({ ...CAUGHT_UP, seconds_since_replay: null }, 0);

    // Assess
    expect(lag).toBe(0);
  });

  it('is unknown when no replayed transaction dates the lag and the source does not prove 0 bytes', () => {
    // Act
    const lags = [
      replicaLagSeconds({ ...BEHIND, seconds_since_replay: null }, 96),
      replicaLagSeconds({ ...BEHIND, seconds_since_replay: null }, undefined),
      replicaLagSeconds({ ...CAUGHT_UP, seconds_since_replay: null }, undefined),
    ];

    // Assess
    expect(lags).toEqual([undefined, undefined, undefined]);
  });

  it('is the time since the last replayed transaction while the replica is behind, at least 1 ms', () => {
    // Act
    const lags = [replicaLagSeconds({ ...BEHIND, seconds_since_replay: 2.4567 }, 96), replicaLagSeconds({ ...BEHIND, seconds_since_replay: 0 }, undefined)];

    // Assess
    expect(lags).toEqual([2.457, 0.001]);
  });

  it('is 0 for a dated replica that replayed all it received while its source does not answer', () => {
    // Act
    const lag = replicaLagSeconds({ ...CAUGHT_UP, seconds_since_replay: 40 }, undefined);

    // Assess
    expect(lag).toBe(0);
  });

  it('is unknown for a replica that never received anything', () => {
    // Act
    const lag = replicaLagSeconds({ receive_lsn: null, replay_lsn: '0/3000000', seconds_since_replay: 1 }, undefined);

    // Assess
    expect(lag).toBeUndefined();
  });
});

describe('repointedConninfo', () => {
  it('names the new source and keeps the replica’s other settings, quoted', () => {
    // Act
    const conninfo = repointedConninfo("host=10.0.1.5 port=5432 user=rep application_name=r2 password='it\\'s'", '10.0.2.5', 5433);

    // Assess
    expect(conninfo).toBe("host='10.0.2.5' port='5433' user='rep' application_name='r2' password='it\\'s'");
  });
});
