// serverless.yml reads `custom.deployment` from here: `${file(./scripts/sls-config.cjs)}`.
// It loads and validates the configuration file named by the `config` parameter with the project's own loader
// (TypeScript, loaded through tsx), and answers the facts of scripts/deployment-facts.ts. Nothing here talks to AWS,
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
  const [{ loadConfig }, { deploymentFacts }] = await Promise.all([
    tsImport('../src/config/load.ts', parent),
    tsImport('./deployment-facts.ts', parent),
  ]);
  const configPath = await resolveVariable('param:config');
  const observer = await resolveVariable("param:observer, ''");
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const config = await loadConfig(resolve(root, configPath));
  return deploymentFacts(config, {
    service,
    stage,
    configPath,
    observer,
    cliRegion: typeof options.region === 'string' ? options.region : undefined,
  });
};
