import type { Clock } from '../../src/ports/Clock.js';

/** A clock that only moves when told; `sleep` advances it at once, so executor loops run instantly. */
export class TestClock implements Clock {
  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  async sleep(ms: number): Promise<void> {
    this.current += ms;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
