/** Where code reads the time, so tests can move it instead of sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until told to move. */
export class FrozenClock implements Clock {
  constructor(private time: Date = new Date()) {}
  now(): Date {
    return new Date(this.time.getTime());
  }
  advance(ms: number): void {
    this.time = new Date(this.time.getTime() + ms);
  }
}
