/** The parts of an ARN the adapters need: `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export interface ParsedArn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

/**
 * Splits an ARN; undefined when `value` is not one (RDS answers plain identifiers for same-region sources).
 *
 * @example
 * parseArn('arn:aws:rds:eu-west-1:123456789012:db:app-eu')?.region; // 'eu-west-1'
 */
export function parseArn(value: string): ParsedArn | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

/**
 * The last segment of an ARN's resource: the cluster id of `...:cluster:app-eu`, the topic of `...:alerts`.
 *
 * @example
 * resourceIdOf('arn:aws:rds:eu-west-1:123456789012:cluster:app-eu'); // 'app-eu'
 */
export function resourceIdOf(arn: string): string {
  const resource = parseArn(arn)?.resource ?? arn;
  return resource.split(/[:/]/).pop() ?? resource;
}
