import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AWS_REGIONS_PATH, renderAwsRegions, sdkRegions } from '../../scripts/generate-aws-regions.js';
import { AWS_REGIONS } from '../../src/config/awsRegions.js';

describe('the committed AWS region list', () => {
  it('is the list the installed AWS SDK knows (run npx tsx scripts/generate-aws-regions.ts when this fails)', async () => {
    // Prepare
    const committed = await readFile(join(import.meta.dirname, '..', '..', AWS_REGIONS_PATH), 'utf8');

    // Act
    const { regions } = await sdkRegions();
    const rendered = await renderAwsRegions();

    // Assess
    expect([...AWS_REGIONS]).toEqual(regions);
    expect(committed).toBe(rendered);
  });

  it('holds the regions of every partition and no pseudo-region', () => {
    // Act
    const regions: readonly string[] = AWS_REGIONS;

    // Assess
    expect(regions).toEqual(expect.arrayContaining(['eu-west-1', 'us-east-1', 'us-gov-west-1', 'cn-north-1']));
    expect(regions.filter((region) => region.endsWith('-global'))).toEqual([]);
  });
});
