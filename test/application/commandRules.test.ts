import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/application/commandRules.js';

describe('the command rules', () => {
  it('trims the reason and keeps only the fields given', () => {
    // Act
    const parsed = parseCommand({ type: 'failover', reason: '  INC-1  ', targetRegion: 'us-east-1' }, undefined);

    // Assess
    expect(parsed).toEqual({ body: { type: 'failover', reason: 'INC-1', targetRegion: 'us-east-1' } });
  });

  it('counts characters as code points, so 65 emoji are 65 characters', () => {
    // Act
    const emoji = parseCommand({ type: 'failover', reason: 'x', targetRegion: '😀'.repeat(65) }, undefined);
    const long = parseCommand({ type: 'failover', reason: 'x', targetRegion: 'r'.repeat(129) }, undefined);

    // Assess
    expect(emoji).toMatchObject({ body: { targetRegion: '😀'.repeat(65) } });
    expect(long).toEqual({ issues: ['targetRegion: must be at most 128 character(s) long'] });
  });

  it("judges the type's rules on well-typed fields even when a bound is broken, then names unknown keys", () => {
    // Act
    const parsed = parseCommand({ type: 'pause', reason: ' ', targetRegion: '', force: true }, undefined);

    // Assess
    expect(parsed).toEqual({
      issues: [
        'reason: is required and must not be empty: it is recorded with your identity',
        'targetRegion: must be at least 1 character(s) long',
        'force: unknown key (not part of the configuration schema)',
        'targetRegion: applies to failover and switchover and reprotect only, not pause',
      ],
    });
  });

  it("does not judge the type's rules when a field has the wrong type, and says one thing per field", () => {
    // Act
    const parsed = parseCommand({ type: 'switchover', reason: [], allowDataLoss: 'yes' }, undefined);

    // Assess
    expect(parsed).toEqual({ issues: ['reason: must be a string (got a list)', 'allowDataLoss: must be a boolean (got "yes")'] });
  });

  it('refuses a body that is not an object', () => {
    // Act
    const parsed = [undefined, null, [], 'failover'].map((body) => parseCommand(body, undefined));

    // Assess
    expect(parsed).toEqual([
      { issues: ['(top level): is required'] },
      { issues: ['(top level): must be an object (got null)'] },
      { issues: ['(top level): must be an object (got a list)'] },
      { issues: ['(top level): must be an object (got "failover")'] },
    ]);
  });
});
