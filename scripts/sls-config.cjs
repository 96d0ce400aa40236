// serverless.yml reads `custom.deployment` from here: `${file(./scripts/sls-config.cjs)}`.
// It loads and validates the configuration file named by the `config` parameter with the project's own loader
// (TypeScript, loaded through tsx), and answers the facts of scripts/deployment-facts.ts plus the state table's
// key schema and indexes from the DynamoDB adapter's tableDefinition. Nothing here talks to AWS,
// so `osls package` works offline and without credentials.
'use strict';

module.exports = async ({ options, resolveVariable }) => {
  const [{ pathToFileURL }, { resolve }, { tsImport }] = await Promise.all([
    import('node:url'),
    import('node:path'),
    import('tsx/esm/api'),
  ]);
  const root = resolve(__dirname, '..');
  const parent = pathToFileURL(__filename).href;
  const [{ loadConfig }, { deploymentFacts }, { tableDefinition }, { OPERATOR_ROUTES }, { alarmSubscription }, { roleName }] = await Promise.all([
    tsImport('../src/config/load.ts', parent),
    tsImport('./deployment-facts.ts', parent),
    tsImport('../src/adapters/aws/dynamodb/table.ts', parent),
    tsImport('../src/application/operatorRoutes.ts', parent),
    tsImport('./alarm-subscription.ts', parent),
    tsImport('../src/config/roleNames.ts', parent),
  ]);
  const configPath = await resolveVariable('param:config');
  const observer = await resolveVariable("param:observer, ''");
  const controlPlane = await resolveVariable("param:controlPlane, ''");
  const alarmEndpoint = await resolveVariable("param:alarmEndpoint, ''");
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const config = await loadConfig(resolve(root, configPath));
  const facts = deploymentFacts(config, {
    service,
    stage,
    configPath,
    observer,
    controlPlane,
    cliRegion: typeof options.region === 'string' ? options.region : undefined,
  });
  // The table's keys and indexes come from the storage adapter itself, so the stack cannot drift from the code.
  const { KeySchema, AttributeDefinitions, GlobalSecondaryIndexes } = tableDefinition;
  // The operator API's routes come from the route table the API itself matches, each with IAM authorization.
  const operatorRoutes = OPERATOR_ROUTES.map((route) => ({ httpApi: { method: route.method, path: route.path, authorizer: { type: 'aws_iam' } } }));
  return {
    ...facts,
    table: { KeySchema, AttributeDefinitions, GlobalSecondaryIndexes },
    operatorRoutes,
    alarmSubscription: alarmSubscription(alarmEndpoint),
    // Fixed role names, so that fcp doctor can simulate each role's permissions.
    roleNames: Object.fromEntries(['orchestrate', 'operator', 'probe'].map((fn) => [fn, roleName(stage, fn, facts.region)])),
  };
};
