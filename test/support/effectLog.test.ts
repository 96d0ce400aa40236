import { describe, expect, it } from 'vitest';
import { effectActors, overlappingEffects } from './effectLog.js';

// The racing-executor tests rest on this check: it must see an overlap when there is one.
describe('the effect log of racing executors', () => {
  it('finds an actor starting an effect while another is inside one, and nothing in a log of turns', () => {
    // Prepare
    const overlapping = ['a starts fence', 'b starts promote', 'b ends promote', 'a ends fence'];
    const turns = ['a starts fence', 'a ends fence', 'east took orders', 'b starts promote', 'b ends promote'];

    // Act
    const found = [overlapping, turns].map((log) => overlappingEffects(log));

    // Assess
    expect(found).toEqual([['b starts promote'], []]);
    expect([...effectActors(turns)]).toEqual(['a', 'b']);
  });

  it('lets effects in different scopes overlap', () => {
    // Prepare: two groups, each acted on by one region at a time.
    const log = ['orders/east starts fence', 'payments/west starts fence', 'payments/west ends fence', 'orders/east ends fence'];

    // Act
    const byGroup = overlappingEffects(log, (actor) => actor.split('/')[0]!);
    const asOne = overlappingEffects(log);

    // Assess
    expect(byGroup).toEqual([]);
    expect(asOne).toEqual(['payments/west starts fence']);
  });
});
