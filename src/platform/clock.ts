/** Clock gives the current time; tests substitute their own to move time. */
export interface Clock {
  now(): Date;
}

/** systemClock is the wall clock. */
export const systemClock: Clock = { now: () => new Date() };
