import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getStateNodes } from 'xstate/graph';
import { MACHINE_DOC_PATH, committedSection, renderMachineSection, transitionRows } from '../../scripts/machine-table.js';
import { failoverMachine } from '../../state-machines/failoverMachine.js';

describe('docs/state-machine.md', () => {
  it('holds the transition table and diagram of the current machine (regenerate: npx tsx scripts/machine-table.ts)', () => {
    // Prepare
    const document = readFileSync(new URL(`../../${MACHINE_DOC_PATH}`, import.meta.url), 'utf8');

    // Act
    const committed = committedSection(document);

    // Assess
    expect(committed).toBe(renderMachineSection(failoverMachine));
  });

  it('lists a transition out of every state of the machine', () => {
    // Prepare
    const states = getStateNodes(failoverMachine.root).map((node) => node.path.join('.'));

    // Act
    const withRows = new Set(transitionRows(failoverMachine).map((row) => row.state));

    // Assess
    expect(states.filter((state) => !withRows.has(state))).toEqual([]);
  });
});
