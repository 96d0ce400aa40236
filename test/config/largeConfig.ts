/** A large generated configuration for the linearity test and the benchmark: one group with many unknown keys. */

/** Shared with the test's mock of `yaml`, which counts the library's pairwise key comparisons here. */
export const comparisons = { count: 0 };

/** The line of `extra0` in the text `largeConfigYaml` writes. */
export const LARGE_CONFIG_FIRST_EXTRA_LINE = 10;

/**
 * YAML text of a configuration whose first group carries `keys` unknown keys `extra<N>: <30 characters>` (110 000 keys
 * make a 5 MB file); with `duplicateKeyAt`, that key repeats `extra0`.
 *
 * @example
 * parseConfig(largeConfigYaml(110_000), 'yaml'); // throws: 110 000 unknown keys, one line each
 */
export function largeConfigYaml(keys: number, options: { duplicateKeyAt?: number } = {}): string {
  const lines = [
    'fleet:',
    '  observerRegions: [eu-west-1, us-east-1, ap-southeast-2]',
    '  controlPlaneRegion: us-west-2',
    'groups:',
    '  - id: orders',
    '    environment: staging',
    '    mode: automatic',
    '    notifications: { topicArn: "arn:aws:sns:us-west-2:123456789012:orders" }',
    '    dns: { hostedZoneId: Z0123456789ABC, recordName: orders.example.com, type: CNAME }',
  ];
  for (let index = 0; index < keys; index += 1) {
    lines.push(`    extra${index === options.duplicateKeyAt ? 0 : index}: ${'x'.repeat(30)}`);
  }
  for (const [name, priority] of [['eu-west-1', 100], ['us-east-1', 90]] as const) {
    lines.push(
      ...(name === 'eu-west-1' ? ['    regions:'] : []),
      `      ${name}:`,
      `        initialPrimary: ${name === 'eu-west-1'}`,
      `        failoverPriority: ${priority}`,
      `        database: { kind: rds-instance, instanceId: orders-${name}, instanceArn: "arn:aws:rds:${name}:123456789012:db:orders-${name}" }`,
      `        healthEndpoints: [{ url: "https://orders.${name}.example.com/health" }]`,
      `        dnsTarget: { type: CNAME, value: orders.${name}.example.com }`,
    );
  }
  return `${lines.join('\n')}\n`;
}
