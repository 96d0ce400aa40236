import type { GroupConfig } from './schema.js';

/**
 * The region a group starts with as primary (validated to be exactly one). Lives apart from the schema so the
 * executor's path into a Lambda bundle does not reach zod.
 *
 * @example
 * initialPrimaryOf(group); // 'eu-west-1'
 */
export function initialPrimaryOf(group: GroupConfig): string {
  const entry = Object.entries(group.regions).find(([, region]) => region.initialPrimary);
  if (entry === undefined) throw new Error(`group ${group.id} has no initial primary`);
  return entry[0];
}
