import type { Clock } from "../../src/platform/clock.js";

/** ManualClock is a service clock that stands still until a test sets or advances it. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** set moves the clock to at. */
  set(at: Date): void {
    this.current = at.getTime();
  }

  /** advance moves the clock on by ms (back, when negative). */
  advance(ms: number): void {
    this.current += ms;
  }
}

/** midStep is the middle of the 30-second TOTP time step holding at (now by default): a code of it stays in its step for 15 s either way. */
export function midStep(at: Date = new Date()): Date {
  return new Date(Math.floor(at.getTime() / 30_000) * 30_000 + 15_000);
}
