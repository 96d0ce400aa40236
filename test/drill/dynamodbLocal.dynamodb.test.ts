import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, expect, inject, it } from 'vitest';

/** Connects to host:port; answers 'connected' or the error code. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 5_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('DynamoDB Local as the drill and the tests start it', () => {
  it('listens on 127.0.0.1 and refuses connections on every other address of the machine', async () => {
    // Prepare
    const port = Number(new URL(inject('dynamodbEndpoint')).port);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address !== undefined && !address.internal && address.family === 'IPv4')
      .map((address) => address?.address as string);

    // Act
    const loopback = await tryConnect('127.0.0.1', port);
    const elsewhere = await Promise.all(others.map((address) => tryConnect(address, port)));

    // Assess
    expect(loopback).toBe('connected');
    expect(elsewhere.every((outcome) => outcome !== 'connected')).toBe(true);
  });
});
