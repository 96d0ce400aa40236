/**
 * Writes schema/control-plane.schema.json from the zod schema.
 *   npx tsx scripts/generate-config-schema.ts          regenerate
 *   npx tsx scripts/generate-config-schema.ts --check  fail when the committed file is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_JSON_SCHEMA_PATH, renderConfigJsonSchema } from '../src/config/jsonSchema.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, CONFIG_JSON_SCHEMA_PATH);
const rendered = renderConfigJsonSchema();

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // A missing file is simply out of date.
  }
  if (committed !== rendered) {
    console.error(`${CONFIG_JSON_SCHEMA_PATH} is out of date: run npx tsx scripts/generate-config-schema.ts`);
    process.exit(1);
  }
  console.log(`${CONFIG_JSON_SCHEMA_PATH} is up to date`);
} else {
  writeFileSync(target, rendered);
  console.log(`wrote ${CONFIG_JSON_SCHEMA_PATH}`);
}
