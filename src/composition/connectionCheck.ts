import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import type { AwsClientConfig } from '../adapters/aws/clientConfig.js';
import { perRegion } from '../adapters/aws/clientConfig.js';
import { ConnectionCheckPasswordSources } from '../adapters/aws/rds/connectionCheckPasswords.js';
import { RdsConnectionProbe } from '../adapters/aws/rds/RdsConnectionProbe.js';
import type { ControlPlaneConfig } from '../config/schema.js';
import type { DatabaseProbe } from '../ports/DatabaseProbe.js';
import { lambdaClientConfig } from './lambda.js';

/**
 * The data-plane database check of the regions that configure `database.connectionCheck` (RdsConnectionProbe): its
 * Secrets Manager clients (one per secret region) and RDS IAM tokens signed with the credentials `clients` gives (by
 * default the Lambda's own). The probe handler passes it to `buildProbeDeps`; scripts/package.mjs resolves the
 * handler's import of this file to connectionCheckUnavailable.ts in an artifact whose configuration has no check,
 * which leaves pg, this adapter and its two SDK packages out.
 *
 * @example
 * const runtime = await buildProbeDeps(process.env, { createDatabaseProbe: connectionCheckProbe });
 */
export function connectionCheckProbe(_config: ControlPlaneConfig, clients: (region: string) => AwsClientConfig = lambdaClientConfig): DatabaseProbe {
  const secretsManager = perRegion((region) => new SecretsManagerClient(clients(region)));
  return new RdsConnectionProbe({
    passwords: new ConnectionCheckPasswordSources({
      secretsManager,
      iamToken: ({ hostname, port, username, region }) => {
        const { credentials } = clients(region);
        return new Signer({ hostname, port, username, region, ...(credentials === undefined ? {} : { credentials }) }).getAuthToken();
      },
    }),
  });
}
