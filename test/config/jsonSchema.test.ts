import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_JSON_SCHEMA_PATH, renderConfigJsonSchema } from '../../src/config/jsonSchema.js';

describe('the committed JSON Schema', () => {
  it('is up to date with the zod schema (run npx tsx scripts/generate-config-schema.ts when this fails)', async () => {
    // Prepare
    const committed = await readFile(join(import.meta.dirname, '..', '..', CONFIG_JSON_SCHEMA_PATH), 'utf8');

    // Act
    const rendered = renderConfigJsonSchema();

    // Assess
    expect(committed).toBe(rendered);
  });

  it('rejects unknown keys and makes defaulted fields optional, as editors should show them', () => {
    // Prepare
    const schema = JSON.parse(renderConfigJsonSchema()) as {
      additionalProperties: boolean;
      required: string[];
      properties: { groups: { items: { required: string[] } } };
    };

    // Act
    const groupRequired = schema.properties.groups.items.required;

    // Assess
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['fleet', 'groups']);
    expect(groupRequired).toEqual(['id', 'environment', 'mode', 'regions', 'dns', 'notifications']);
  });
});
