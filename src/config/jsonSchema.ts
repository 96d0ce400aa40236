import * as z from 'zod';
import { ControlPlaneConfigSchema } from './schema.js';

/** Where editors find the schema, relative to the repository root. */
export const CONFIG_JSON_SCHEMA_PATH = 'schema/control-plane.schema.json';

/**
 * The configuration's JSON Schema for editors (YAML language server, VS Code), as committed text.
 * It describes the input (defaults make fields optional). Cross-field rules (one primary, quorum within observers)
 * cannot be expressed in JSON Schema; the loader checks them.
 *
 * @example
 * writeFileSync(CONFIG_JSON_SCHEMA_PATH, renderConfigJsonSchema());
 */
export function renderConfigJsonSchema(): string {
  const schema = z.toJSONSchema(ControlPlaneConfigSchema, { io: 'input', target: 'draft-2020-12' });
  const { $schema, ...rest } = schema;
  const document = {
    $schema,
    $id: 'https://failover-control-plane.invalid/schema/control-plane.schema.json',
    title: 'Failover control plane configuration',
    description:
      'Generated from src/config/schema.ts by scripts/generate-config-schema.ts; do not edit. See docs/configuration.md.',
    ...rest,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
