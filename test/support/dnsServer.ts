import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import * as packet from 'dns-packet';

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, as `dns.nameServers` takes it. */
  readonly address: string;
  /** Sets what the server answers for `name` and `type` (no value: NXDOMAIN for that name). */
  answer(name: string, type: 'CNAME' | 'A' | 'AAAA', values: readonly string[]): void;
  /** Questions received, as `TYPE name`. */
  readonly questions: string[];
  close(): Promise<void>;
}

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP, a random port) for tests: it answers what the test set, and
 * NXDOMAIN for anything else, like a hosted zone's name servers.
 *
 * @example
 * const dns = await startDnsServer();
 * dns.answer('orders.example.com', 'CNAME', ['orders.us-east-1.example.com']);
 */
export async function startDnsServer(): Promise<TestDnsServer> {
  const records = new Map<string, readonly string[]>();
  const questions: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (message, remote) => {
    const query = packet.decode(message);
    const question = query.questions?.[0];
    if (question === undefined) return;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    questions.push(`${question.type} ${name}`);
    const values = records.get(`${question.type} ${name}`) ?? [];
    const response = packet.encode({
      id: query.id,
      type: 'response',
      flags: packet.AUTHORITATIVE_ANSWER | (values.length === 0 ? 3 : 0), // rcode 3: NXDOMAIN
      questions: [question],
      answers: values.map((data) => ({ name: question.name, type: question.type as 'A', class: 'IN', ttl: 5, data })),
    });
    socket.send(response, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    questions,
    answer(name, type, values) {
      records.set(`${type} ${name.toLowerCase().replace(/\.$/, '')}`, values);
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
