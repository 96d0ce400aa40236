#!/usr/bin/env node
// Builds one Lambda artifact per handler: handlers/<name>.ts bundled by esbuild into .esbuild/<name>.zip, holding
// index.mjs (the bundle) and the deployment's configuration, validated here and written as JSON. osls has no built-in esbuild support, so this file
// is both a command (`node scripts/package.mjs --config config/example.yaml probe orchestrate`) and a local osls
// plugin (serverless.yml `plugins: [./scripts/package.mjs]`) that builds the artifacts before osls packages them.
//
// Each bundle contains only the code its handler reaches: the AWS SDK clients are bundled (not taken from the Lambda
// runtime) so the deployed SDK version is the one the tests ran against (package.json pins it), and esbuild drops the
// clients a handler does not use (the @aws-sdk packages declare `sideEffects: false`). What a cold start would not
// use stays out: the YAML parser and the schema library (the configuration is checked here, at package time, and
// shipped as JSON), the SDK's default credential chain with its SSO/STS clients (a Lambda's clients are given
// `fromEnv()` of @aws-sdk/credential-provider-env, imported statically: see src/composition/lambda.ts; the chain is
// replaced by a stub that says so if anything still reaches it), SDK code no Lambda of the project runs (`SDK_STAND_INS`:
// endpoint discovery, the instance-metadata region, request compression, web streams, ...: each a stand-in that refuses
// if reached), and the adapters the packaged configuration does not use (`OPTIONAL_ADAPTERS`: PostgreSQL, Aurora Global
// Database, ARC routing controls, the database connection check).
import { build } from 'esbuild';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const artifactDirectory = '.esbuild';

/** The name of the configuration file inside each artifact (serverless.yml sets FCP_CONFIG to it). */
export const BUNDLED_CONFIG = 'config.json';

/**
 * Packages that must never be in a Lambda bundle: the configuration is validated at package time (zod, yaml), and a
 * Lambda's clients use only the environment's credentials (the default chain and the SSO/STS clients it reaches).
 * `test/deploy/bundles.test.ts` checks the built bundles against this list.
 */
export const EXCLUDED_FROM_BUNDLES = [
  'zod',
  'yaml',
  '@aws-sdk/credential-provider-node',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/nested-clients',
  '@aws-sdk/token-providers',
  '@aws-sdk/client-sso',
  '@aws-sdk/client-sts',
];

/** The SDK's default credential chain, as a Lambda bundle carries it: nothing, and a clear error if reached. */
const credentialChainStub = {
  name: 'lambda-credentials-only',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: 'credential-provider-node', namespace: 'lambda-credentials-only' }));
    build.onLoad({ filter: /.*/, namespace: 'lambda-credentials-only' }, () => ({
      contents: `export const defaultProvider = () => async () => {
  throw new Error('this Lambda bundle has no default credential chain: give the SDK client credentials: fromEnv() (src/composition/lambda.ts)');
};`,
      loader: 'js',
    }));
  },
};

/**
 * An SDK client reads one field of its package.json, `version` (for the user agent); the rest (~2 KB a client) is
 * left out of the bundle.
 */
const clientVersionOnly = {
  name: 'sdk-client-version-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/ }, async ({ path }) => ({
      contents: JSON.stringify({ version: JSON.parse(await readFile(path, 'utf8')).version }),
      loader: 'json',
    }));
  },
};

/**
 * An SDK client's schemas (dist-es/schemas/schemas_0.js), made tree-shakable. As published, every operation schema
 * carries computed keys (`{ [_ht]: [...] }`, `_ht` a string constant) that esbuild must assume have side effects, so
 * every operation of the service and every shape it reaches stays in the bundle; and every modelled error is
 * registered at load (`n0_registry.registerError(X$, X)`), which keeps all their schemas and classes. Here the string
 * constants are written into the keys (the same object), and only the errors the project names somewhere in its source
 * stay registered (an unregistered error arrives as the service's base exception named by its wire code, e.g.
 * `StorageQuotaExceeded`, with `$fault` and `$metadata` as before; src/adapters/aws/errors.ts reads names and codes).
 *
 * Output structures also lose the members nothing reads (`withoutUnreadMembers`): RDS's `DBInstance` alone has ~95,
 * most never looked at. A member stays when the project's source or the SDK code that handles the answer (the client's
 * own files, paginators included, and the SDK packages of `SDK_READERS`) names it, or when it carries traits; a
 * structure an operation's input reaches keeps every member (nothing the project sends is dropped). The dropped members
 * are simply not deserialized (the answer's XML or JSON holds them; they never reach the output object). After the
 * build every SDK file in the bundle but the clients' (one client's code never sees another's answers) is searched for
 * the dropped names, and one that names any fails the build: an SDK reader missing from `SDK_READERS`.
 * Fails the build when a schemas file no longer looks like this, rather than quietly keeping everything.
 */
function sdkSchemasTreeShakable(namedInProject) {
  return {
    name: 'sdk-schemas-tree-shakable',
    setup(build) {
      const dropped = new Map();
      build.onLoad({ filter: /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_0\.js$/ }, async ({ path }) => {
        const source = await readFile(path, 'utf8');
        const constants = new Map([...source.matchAll(/^const (\w+) = ("[^"\\\n]*");$/gm)].map(([, name, value]) => [name, value]));
        let keys = 0;
        let registrations = 0;
        const contents = source
          .replace(/\[(\w+)\]:/g, (key, name) => {
            if (!constants.has(name)) return key;
            keys += 1;
            return `[${constants.get(name)}]:`;
          })
          .replace(/^\w+_registry\.registerError\((\w+)\$, (\w+)\);$/gm, (registration, schema, error) => {
            registrations += 1;
            return schema === error && !namedInProject.has(error) && !error.endsWith('ServiceException') ? '' : registration;
          });
        if (keys === 0 || registrations === 0) throw new Error(`${path}: no string-constant keys or error registrations found; the SDK's schema layout changed (scripts/package.mjs)`);
        const read = new Set([...namedInProject, ...(await wordsOfSdkReaders(path))]);
        const trimmed = withoutUnreadMembers(contents, constants, read, path);
        if (trimmed.dropped.size > 0) dropped.set(sdkPackageOf(path), trimmed.dropped);
        return { contents: trimmed.contents, loader: 'js', resolveDir: dirname(path) };
      });
      build.onEnd(async (result) => {
        if (result.metafile === undefined || dropped.size === 0) return;
        // Another client's code never reads this client's answers; any other SDK package might.
        const naming = [];
        for (const input of bundledFiles(result.metafile)) {
          const reader = sdkPackageOf(input);
          if (reader === undefined || /^@aws-sdk\/client-/.test(reader)) continue;
          const words = new Set((await readFile(resolve(root, input), 'utf8')).match(/\w+/g));
          const named = [...dropped].flatMap(([client, names]) => [...names].filter((name) => words.has(name)).map((name) => `${client} ${name}`));
          if (named.length > 0) naming.push(`${input} names ${named.join(', ')}`);
        }
        if (naming.length > 0) {
          throw new Error(`schema members left out of the bundle are named by code in it; add its package to SDK_READERS (scripts/package.mjs):\n  ${naming.join('\n  ')}`);
        }
      });
    },
  };
}

/** The files that put bytes into a bundle (not the stand-ins of a plugin's namespace). */
function bundledFiles(metafile) {
  const files = Object.values(metafile.outputs).flatMap((output) => Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 && !/^[\w-]+:/.test(input) ? [input] : [])));
  return [...new Set(files)];
}

/** The @aws-sdk or @smithy package a file belongs to (`@aws-sdk/client-rds`), if any. */
function sdkPackageOf(path) {
  return /[\\/]node_modules[\\/](@(?:aws-sdk|smithy)[\\/][^\\/]+)[\\/]/.exec(path)?.[1].replace('\\', '/');
}

/** The SDK packages, beside a client's own files, whose code reads the members of a client's answers. */
const SDK_READERS = ['@aws-sdk/core', '@aws-sdk/lib-dynamodb', '@aws-sdk/dynamodb-codec', '@aws-sdk/util-dynamodb', '@aws-sdk/middleware-sdk-rds', '@aws-sdk/middleware-sdk-route53', '@smithy/core'];

const wordsOfFolders = new Map();

/** Every word of the client's own code (but its schemas) and of `SDK_READERS`, beside the client's schemas at `schemasPath`. */
async function wordsOfSdkReaders(schemasPath) {
  const clientCode = dirname(dirname(schemasPath));
  const nodeModules = resolve(clientCode, '../../..');
  const words = new Set();
  for (const folder of [clientCode, ...SDK_READERS.map((name) => join(nodeModules, name, 'dist-es'))]) {
    if (!wordsOfFolders.has(folder)) {
      const found = new Set();
      for (const file of await readdir(folder, { recursive: true })) {
        if (!file.endsWith('.js') || /(^|[\\/])schemas[\\/]/.test(file)) continue;
        for (const [word] of (await readFile(join(folder, file), 'utf8')).matchAll(/\w+/g)) found.add(word);
      }
      wordsOfFolders.set(folder, found);
    }
    for (const word of wordsOfFolders.get(folder)) words.add(word);
  }
  return words;
}

/** The top-level entries of a schema's member-type list: `0, [() => X, 0], 64 | 0` is three entries. */
function topLevelEntries(list) {
  const entries = [];
  let depth = 0;
  let quote;
  let start = 0;
  for (let index = 0; index < list.length; index += 1) {
    const char = list[index];
    if (quote !== undefined) {
      if (char === '\\') index += 1;
      else if (char === quote) quote = undefined;
    } else if (char === '"') quote = char;
    else if ('([{'.includes(char)) depth += 1;
    else if (')]}'.includes(char)) depth -= 1;
    else if (char === ',' && depth === 0) {
      entries.push(list.slice(start, index).trim());
      start = index + 1;
    }
  }
  if (list.trim() !== '') entries.push(list.slice(start).trim());
  return entries;
}

const SCHEMA_STATEMENT = /^(?:export )?var ([\w$]+) = /gm;
const OPERATION = /^\[9, n0, \w+,\s+[\s\S]*?, \(\) => ([\w$]+), \(\) => ([\w$]+)\s*\];/;
// `[3, namespace, name, traits, [members], [types], required]`: the first `required` members are the required ones.
const STRUCTURE = /^(\[3, n0, \w+,\n {4}[^\n]*,\n {4})\[([^\n\]]*)\],\n {4}\[([^\n]*)\](?:, (\d+))?\n\];(\s*)$/;

/**
 * The schemas source without the members of output structures that no word of `read` names (see
 * `sdkSchemasTreeShakable`), and the names dropped. Throws when the schemas no longer have the layout this expects.
 */
function withoutUnreadMembers(source, constants, read, path) {
  const layoutChanged = (what) => new Error(`${path}: ${what}; the SDK's schema layout changed (scripts/package.mjs)`);
  const starts = [...source.matchAll(SCHEMA_STATEMENT)];
  const statements = new Map(starts.map((match, index) => [match[1], { at: match.index + match[0].length, end: starts[index + 1]?.index ?? source.length }]));
  const bodyOf = (name) => source.slice(statements.get(name).at, statements.get(name).end);
  const inputs = [];
  let operations = 0;
  for (const name of statements.keys()) {
    if (bodyOf(name).startsWith('[9,')) {
      const operation = OPERATION.exec(bodyOf(name));
      if (operation === null) throw layoutChanged(`operation schema ${name} has an unexpected form`);
      operations += 1;
      inputs.push(operation[1]);
    }
  }
  if (operations === 0) throw layoutChanged('no operation schemas found');
  // Everything an operation's input reaches is sent, never trimmed.
  const sent = new Set();
  const pending = [...inputs];
  while (pending.length > 0) {
    const name = pending.pop();
    if (sent.has(name) || !statements.has(name)) continue;
    sent.add(name);
    for (const [word] of bodyOf(name).matchAll(/[\w$]+/g)) if (statements.has(word) && !sent.has(word)) pending.push(word);
  }
  const dropped = new Set();
  let contents = '';
  let copied = 0;
  for (const [name, { at, end }] of statements) {
    const body = source.slice(at, end);
    if (!body.startsWith('[3,') || sent.has(name)) continue;
    const structure = STRUCTURE.exec(body);
    if (structure === null) throw layoutChanged(`structure schema ${name} has an unexpected form`);
    const [, head, memberList, typeList, required, after] = structure;
    const members = memberList.split(',').map((member) => member.trim()).filter((member) => member !== '');
    const types = topLevelEntries(typeList);
    if (members.length !== types.length || members.some((member) => !constants.has(member))) throw layoutChanged(`structure schema ${name}'s members and types do not pair up`);
    const kept = members.flatMap((member, index) => {
      const memberName = JSON.parse(constants.get(member));
      const withTraits = types[index].startsWith('[') && !types[index].endsWith(', 0]');
      if (read.has(memberName) || withTraits || index < Number(required ?? 0)) return [index];
      dropped.add(memberName);
      return [];
    });
    contents += source.slice(copied, at) + `${head}[${kept.map((index) => members[index]).join(', ')}],\n    [${kept.map((index) => types[index]).join(', ')}]${required === undefined ? '' : `, ${required}`}\n];${after}`;
    copied = end;
  }
  return { contents: contents + source.slice(copied), dropped };
}

/** Every identifier-like word of the project's own source: the error names it tests for are among them. */
async function wordsOfProjectSource() {
  const words = new Set();
  for (const folder of ['src', 'handlers', 'state-machines']) {
    for (const file of await readdir(join(root, folder), { recursive: true })) {
      if (!file.endsWith('.ts')) continue;
      for (const [word] of (await readFile(join(root, folder, file), 'utf8')).matchAll(/\w+/g)) words.add(word);
    }
  }
  return words;
}

/**
 * The SDK's event-stream support, which HttpProtocol imports lazily for operations that stream events: no operation
 * the project calls does, and an ESM bundle would otherwise inline it (~15 KB). Reaching it says so.
 */
const eventStreamsLeftOut = {
  name: 'event-streams-left-out',
  setup(build) {
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/ }, ({ kind }) =>
      kind === 'dynamic-import' ? { path: 'event-streams', namespace: 'event-streams-left-out' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'event-streams-left-out' }, () => ({
      contents: `const leftOut = () => { throw new Error('this Lambda bundle has no SDK event-stream support: no operation it calls streams events (scripts/package.mjs)'); };
export const EventStreamSerde = leftOut;
export const eventStreamSerdeProvider = leftOut;`,
      loader: 'js',
    }));
  },
};

/**
 * SDK code no Lambda of this project can run, each piece resolved to a stand-in that refuses, naming what was left out
 * and why, if it is ever reached. Each entry: the import it intercepts (`specifier`, from a file matching `importer`),
 * the stand-in module, and `leftOut`: the files that must not be in a bundle once the stand-in is in place. After each
 * build the metafile is checked against `leftOut`, so an SDK whose layout changed (the import renamed, the code
 * reached another way) fails the build instead of quietly keeping the code; an SDK that imports a name the stand-in
 * lacks fails it too (esbuild: no matching export).
 */
const SDK_STAND_INS = [
  {
    // DynamoDB endpoint discovery: no DynamoDB command of the bundled SDK adds the discovery middleware, and the
    // project never turns discovery on, so only its config resolver and a 1,000-entry LRU cache (mnemonist) would run.
    name: 'dynamodb-endpoint-discovery',
    specifier: /^@aws-sdk\/middleware-endpoint-discovery$/,
    importer: /[\\/]@aws-sdk[\\/]client-dynamodb[\\/]/,
    leftOut: /[\\/]node_modules[\\/](@aws-sdk[\\/](middleware-endpoint-discovery|endpoint-cache)|mnemonist|obliterator)[\\/]/,
    contents: `const SWITCHES = ['AWS_ENABLE_ENDPOINT_DISCOVERY', 'AWS_ENDPOINT_DISCOVERY_ENABLED'];
const isOn = (value) => value !== undefined && value !== '' && value !== 'false' && value !== '0';
export const NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS = { environmentVariableSelector: () => undefined, configFileSelector: () => undefined, default: undefined };
export const resolveEndpointDiscoveryConfig = (input, { endpointDiscoveryCommandCtor }) => {
  const turnedOnBy = input.endpointDiscoveryEnabled === true ? 'the client option endpointDiscoveryEnabled' : SWITCHES.find((name) => isOn(process.env[name]));
  if (turnedOnBy !== undefined) {
    throw new Error('this Lambda bundle has no DynamoDB endpoint discovery, and ' + turnedOnBy + ' turns it on: the project never uses it, so the bundle leaves it out (scripts/package.mjs)');
  }
  return Object.assign(input, { endpointDiscoveryCommandCtor, endpointDiscoveryEnabled: () => Promise.resolve(false), isClientEndpointDiscoveryEnabled: false });
};`,
  },
  {
    // The region from EC2 instance metadata: the default of a client given no region (ours always get one:
    // src/adapters/aws/clientConfig.ts), and of defaultsMode 'auto' outside Lambda (in Lambda it reads AWS_REGION).
    name: 'imds-region',
    specifier: /(^|\/)getInstanceMetadataRegion(\.js)?$/,
    importer: /[\\/]@smithy[\\/]core[\\/]/,
    leftOut: /[\\/]getInstanceMetadataRegion\.js$/,
    contents: `export const getInstanceMetadataRegion = async () => {
  throw new Error('this Lambda bundle has no EC2 instance-metadata region lookup: give the SDK client a region (src/adapters/aws/clientConfig.ts); a Lambda has no instance metadata (scripts/package.mjs)');
};`,
  },
  {
    // The pure-JS SHA-256: @smithy/core's Sha256Node falls back to it only where node:crypto has no SHA-256.
    name: 'sha256-js',
    specifier: /(^|\/)Sha256Js(\.js)?$/,
    importer: /[\\/]@smithy[\\/]core[\\/]/,
    leftOut: /[\\/]Sha256Js\.js$/,
    contents: `export class Sha256Js {
  constructor() {
    throw new Error("this Lambda bundle has no pure-JS SHA-256: it hashes with node:crypto, and this Node has no SHA-256 in node:crypto (scripts/package.mjs)");
  }
}`,
  },
  {
    // Request compression: only CloudWatch's PutMetricData compresses, and the project never calls it (its metrics go
    // out as Powertools' embedded metric format in the logs).
    name: 'request-compression',
    specifier: /^@smithy\/middleware-compression$/,
    importer: /[\\/]@aws-sdk[\\/]client-cloudwatch[\\/]/,
    leftOut: /[\\/]node_modules[\\/]@smithy[\\/]middleware-compression[\\/]/,
    contents: `const unset = { environmentVariableSelector: () => undefined, configFileSelector: () => undefined, default: undefined };
export const NODE_DISABLE_REQUEST_COMPRESSION_CONFIG_OPTIONS = unset;
export const NODE_REQUEST_MIN_COMPRESSION_SIZE_BYTES_CONFIG_OPTIONS = unset;
export const resolveCompressionConfig = (input) => input;
export const getCompressionPlugin = () => {
  throw new Error('this Lambda bundle has no SDK request compression: only CloudWatch PutMetricData uses it, and the project never calls it (scripts/package.mjs)');
};`,
  },
  {
    // Web streams (Blob, ReadableStream): the node variants hand those to the browser variants, and the bundle's
    // HTTP handler (node:https) answers with Node streams only.
    name: 'web-streams',
    specifier: /^\.\/(sdk-stream-mixin|stream-collector)\.browser(\.js)?$/,
    importer: /[\\/]@smithy[\\/]core[\\/].*[\\/]util-stream[\\/](sdk-stream-mixin|stream-collector)\.js$/,
    leftOut: /[\\/]@smithy[\\/]core[\\/].*[\\/](sdk-stream-mixin|stream-collector|toBase64|toUtf8|fromUtf8)\.browser\.js$|[\\/]constants-for-browser\.js$/,
    contents: `const refuse = () => {
  throw new Error('this Lambda bundle has no web-stream (Blob, ReadableStream) support: its HTTP handler (node:https) gives Node streams (scripts/package.mjs)');
};
export const sdkStreamMixin = refuse;
export const collectBlob = async () => refuse();
export const collectReadableStream = async () => refuse();`,
  },
  {
    // S3's endpoint parameter rules (bucket names, path style), run only for a client whose serviceId is S3: none is
    // in a Lambda bundle.
    name: 's3-endpoint-customizations',
    specifier: /^\.\.\/service-customizations(\/index\.js)?$/,
    importer: /[\\/]@smithy[\\/]core[\\/].*[\\/]getEndpointFromInstructions\.js$/,
    leftOut: /[\\/]service-customizations[\\/]s3\.js$/,
    contents: `export const resolveParamsForS3 = async () => {
  throw new Error('this Lambda bundle has no S3 endpoint customizations: it holds no S3 client (scripts/package.mjs)');
};`,
  },
];

/** Exported for the tests: the names of the SDK stand-ins, in `SDK_STAND_INS` order. */
export const SDK_STAND_IN_NAMES = Object.freeze(SDK_STAND_INS.map(({ name }) => name));

const sdkStandIns = {
  name: 'sdk-stand-ins',
  setup(build) {
    for (const { name, specifier, importer, contents } of SDK_STAND_INS) {
      const namespace = `sdk-stand-in-${name}`;
      build.onResolve({ filter: specifier }, (args) => (importer.test(args.importer) ? { path: name, namespace } : undefined));
      build.onLoad({ filter: /.*/, namespace }, () => ({ contents, loader: 'js' }));
    }
    build.onEnd((result) => {
      if (result.metafile === undefined) return;
      // Bytes in the output, not inputs: a file esbuild read and tree-shook away is not in the bundle.
      const inBundle = new Set(Object.values(result.metafile.outputs).flatMap((output) => Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : []))));
      const kept = [...inBundle].flatMap((input) =>
        SDK_STAND_INS.filter(({ leftOut }) => leftOut.test(input)).map(({ name }) => `${name}: ${input} is in the bundle`),
      );
      if (kept.length > 0) {
        throw new Error(`SDK code meant to be left out is in the bundle; the SDK's layout changed, so adjust SDK_STAND_INS (scripts/package.mjs):\n  ${kept.join('\n  ')}`);
      }
    });
  },
};

/**
 * The optional adapter families: each is left out of an artifact whose packaged configuration does not use it (see
 * `adaptersUsedBy`), the importing module's import resolved to a stand-in that refuses every call instead. The
 * composition routes a group to an adapter only when the group's configuration names it, and the configuration and
 * the code ship in the same zip, so they cannot disagree.
 *
 * - `postgres`: a `postgres` database or an HAProxy switch; the PostgreSQL adapters and `pg` (~100 KB).
 * - `auroraGlobal`: an `aurora-global` database; the Aurora Global Database adapter and the RDS operations only it calls.
 * - `arcRoutingControl`: a group with `dns.switch: arc-routing-control`; the ARC adapter, its DNS check and SDK client.
 * - `connectionCheck`: a region with `database.connectionCheck`; the probe's connection check, `pg`, the Secrets Manager
 *   client and the RDS signer.
 */
const OPTIONAL_ADAPTERS = {
  postgres: [
    { importer: 'src/composition/lambda.ts', specifier: /^\.\.\/adapters\/postgres\/(PostgresDatabase|HaproxyTraffic)\.js$/, standIn: 'src/adapters/postgres/unavailable.ts' },
  ],
  auroraGlobal: [
    { importer: 'src/adapters/aws/database.ts', specifier: /^\.\/aurora\/AuroraGlobalDatabase\.js$/, standIn: 'src/adapters/aws/aurora/unavailable.ts' },
  ],
  arcRoutingControl: [
    { importer: 'src/composition/lambda.ts', specifier: /^\.\/arcTraffic\.js$/, standIn: 'src/composition/arcTrafficUnavailable.ts' },
  ],
  connectionCheck: [
    { importer: 'handlers/probe.ts', specifier: /^\.\.\/src\/composition\/connectionCheck\.js$/, standIn: 'src/composition/connectionCheckUnavailable.ts' },
  ],
};

/** Every optional adapter family in: what an artifact holds when nothing is known about its configuration. */
export const ALL_ADAPTERS = Object.freeze(Object.fromEntries(Object.keys(OPTIONAL_ADAPTERS).map((family) => [family, true])));

function adaptersLeftOut(adapters) {
  const leftOut = Object.entries(OPTIONAL_ADAPTERS).flatMap(([family, swaps]) => (adapters[family] === false ? swaps : []));
  return {
    name: 'adapters-left-out',
    setup(build) {
      for (const { importer, specifier, standIn } of leftOut) {
        build.onResolve({ filter: specifier }, (args) => (args.importer === join(root, importer) ? { path: join(root, standIn) } : undefined));
      }
    },
  };
}

/**
 * The esbuild options of a Lambda bundle (Node 22 on Lambda, ESM, minified) for the given entry points. `adapters`:
 * which optional adapter families the artifact's configuration uses (`adaptersUsedBy`); by default all of them.
 *
 * @example
 * await build({ ...(await lambdaBuildOptions({ adapters: await adaptersUsedBy('config/example.yaml') })), entryPoints: ['./handlers/probe.ts'], outfile });
 */
export async function lambdaBuildOptions({ minify = true, adapters = ALL_ADAPTERS, ...unknown } = {}) {
  // A misspelt option or family (or the former `postgres: false`) would otherwise bundle every adapter, silently.
  const unknownNames = [...Object.keys(unknown), ...Object.keys(adapters).filter((family) => !(family in OPTIONAL_ADAPTERS)).map((family) => `adapters.${family}`)];
  if (unknownNames.length > 0) {
    throw new Error(`lambdaBuildOptions: unknown ${unknownNames.join(', ')}; the options are minify and adapters: { ${Object.keys(OPTIONAL_ADAPTERS).join(', ')} }`);
  }
  return {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    minify,
    metafile: true,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [
      credentialChainStub,
      clientVersionOnly,
      sdkSchemasTreeShakable(await wordsOfProjectSource()),
      eventStreamsLeftOut,
      sdkStandIns,
      adaptersLeftOut(adapters),
    ],
    // Some bundled CommonJS dependencies call require() for Node built-ins; ESM output has no require of its own.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  };
}

/**
 * Bundles handlers/<name>.ts for Node 22 on Lambda (ESM, minified) without writing it to disk. `adapters`: the optional
 * adapter families to keep (`adaptersUsedBy` of the artifact's configuration); by default all of them.
 * Returns the bundle text and esbuild's metafile (which inputs went in: the bundle report and the tests use it).
 *
 * @example
 * const { code, metafile } = await bundleHandler('probe', { adapters: { postgres: false, auroraGlobal: false, arcRoutingControl: false, connectionCheck: false } });
 */
export async function bundleHandler(name, options = {}) {
  const result = await build({
    ...(await lambdaBuildOptions(options)),
    entryPoints: [`./handlers/${name}.ts`],
    outfile: join(artifactDirectory, name, 'index.mjs'),
  });
  const output = result.outputFiles.find((file) => file.path.endsWith('.mjs'));
  if (output === undefined) throw new Error(`esbuild produced no bundle for handlers/${name}.ts`);
  return { code: output.contents, metafile: result.metafile };
}

/**
 * Which optional adapter families the configuration at `configPath` uses (validated first, like `packagedConfig`):
 * src/config/groups.ts says, for each, when a group needs it.
 *
 * @example
 * await adaptersUsedBy('config/example.yaml'); // { postgres: false, auroraGlobal: false, arcRoutingControl: false, connectionCheck: false }
 */
export async function adaptersUsedBy(configPath) {
  const { tsImport } = await import('tsx/esm/api');
  const [{ loadConfig }, groups] = await Promise.all([
    tsImport('../src/config/load.ts', import.meta.url),
    tsImport('../src/config/groups.ts', import.meta.url),
  ]);
  const config = await loadConfig(resolve(root, configPath));
  return {
    postgres: groups.usesPostgresAdapters(config),
    auroraGlobal: groups.usesAuroraGlobalAdapter(config),
    arcRoutingControl: groups.usesArcRoutingControlAdapter(config),
    connectionCheck: groups.usesConnectionCheckAdapter(config),
  };
}

/**
 * Validates a configuration file with the project's loader (through tsx: this file runs under plain node and osls)
 * and answers it packaged: JSON that the functions read without a schema. Throws the loader's `ValidationError`.
 *
 * @example
 * const json = await packagedConfig('config/example.yaml');
 */
export async function packagedConfig(configPath) {
  const { tsImport } = await import('tsx/esm/api');
  const [{ loadConfig }, { packageConfig }] = await Promise.all([
    tsImport('../src/config/load.ts', import.meta.url),
    tsImport('../src/config/packaged.ts', import.meta.url),
  ]);
  return packageConfig(await loadConfig(resolve(root, configPath)), configPath);
}

/**
 * Builds .esbuild/<name>.zip for each handler name, with the validated configuration (config.json) beside the bundle.
 * Also writes .esbuild/<name>.meta.json (esbuild's metafile). Returns the artifact paths.
 *
 * @example
 * await buildArtifacts({ functions: ['probe'], configPath: 'config/example.yaml' });
 */
export async function buildArtifacts({ functions, configPath }) {
  const [config, adapters] = await Promise.all([packagedConfig(configPath), adaptersUsedBy(configPath)]);
  await mkdir(join(root, artifactDirectory), { recursive: true });
  const artifacts = [];
  for (const name of functions) {
    const { code, metafile } = await bundleHandler(name, { adapters });
    const zipPath = join(root, artifactDirectory, `${name}.zip`);
    await writeFile(
      zipPath,
      zip([
        { name: 'index.mjs', data: code },
        { name: BUNDLED_CONFIG, data: config },
      ]),
    );
    await writeFile(join(root, artifactDirectory, `${name}.meta.json`), JSON.stringify(metafile));
    artifacts.push(zipPath);
  }
  return artifacts;
}

// A zip writer small enough to read: deflated entries, fixed timestamps (identical inputs give identical bytes, so
// osls sees an unchanged code hash and CloudFormation does not update a function whose code did not change).
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01, the earliest date zip can express
const UNIX_FILE_MODE = 0o100644;

function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const data = Buffer.from(entry.data);
    const compressed = deflateRawSync(data, { level: 9 });
    const checksum = crc32(data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // names are UTF-8
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(checksum, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the external attributes carry a file mode
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(checksum, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra length
    central.writeUInt16LE(0, 32); // comment length
    central.writeUInt16LE(0, 34); // disk number
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE((UNIX_FILE_MODE << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + compressed.length;
  }
  const centralSize = centrals.reduce((size, part) => size + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/**
 * The osls plugin: before osls packages (and so before `deploy`), build the artifact of every function declared in
 * the stack with the configuration file the stack was resolved with (custom.deployment.configPath).
 */
export default class EsbuildArtifactsPlugin {
  constructor(serverless, _options, { log }) {
    const buildDeclaredFunctions = async () => {
      const service = serverless.service;
      const functions = Object.keys(service.functions ?? {});
      const configPath = service.custom?.deployment?.configPath;
      if (typeof configPath !== 'string') throw new Error('custom.deployment.configPath is not set in serverless.yml');
      const artifacts = await buildArtifacts({ functions, configPath });
      log.notice(`Bundled ${artifacts.map((path) => basename(path)).join(', ')} with ${configPath}`);
    };
    this.hooks = {
      'before:package:createDeploymentArtifacts': buildDeclaredFunctions,
      'before:deploy:function:packageFunction': buildDeclaredFunctions,
    };
  }
}

async function main(args) {
  const configFlag = args.indexOf('--config');
  const configPath = configFlag === -1 ? 'config/example.yaml' : args[configFlag + 1];
  const functions = configFlag === -1 ? args : args.filter((_arg, index) => index !== configFlag && index !== configFlag + 1);
  if (configPath === undefined || functions.length === 0) {
    console.error('usage: node scripts/package.mjs [--config <file>] <handler>...   e.g. probe orchestrate');
    process.exitCode = 2;
    return;
  }
  const artifacts = await buildArtifacts({ functions, configPath });
  console.log(artifacts.join('\n'));
}

// No top-level await: osls require()s this file as a plugin, and require() refuses ESM graphs that use it.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
