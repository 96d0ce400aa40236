import { FatalStepError } from '../domain/errors.js';
import type { GroupId, RegionName } from '../domain/types.js';

/**
 * The refusal every stand-in of an adapter left out of a Lambda artifact gives (scripts/package.mjs resolves an
 * adapter's import to its stand-in when the packaged configuration does not use it): it names the call's subject
 * (group, region, or change), what is missing, why, and what to do. Never an invented state.
 *
 * @example
 * packagedWithout({ groupId: 'orders', region: 'us-east-1' }, 'the Aurora Global Database adapter', 'its configuration has no aurora-global database');
 * // FatalStepError: group orders, region us-east-1: this artifact was packaged without the Aurora Global Database adapter because ...
 */
export function packagedWithout(
  subject: { readonly groupId?: GroupId; readonly region?: RegionName; readonly changeId?: string },
  missing: string,
  because: string,
): FatalStepError {
  const named =
    subject.changeId !== undefined
      ? `change ${subject.changeId}`
      : `group ${subject.groupId}${subject.region === undefined ? '' : `, region ${subject.region}`}`;
  return new FatalStepError(
    `${named}: this artifact was packaged without ${missing} because ${because}; package it again with the configuration that has one`,
    { ...(subject.groupId === undefined ? {} : { groupId: subject.groupId }), ...(subject.region === undefined ? {} : { region: subject.region }) },
  );
}
