import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until the wall clock has reached the whole second `seconds` (epoch seconds), so that a
 * token issued afterwards has `iat >= seconds`. A timer may fire a little before Date.now()
 * agrees (they run on different clocks), hence the loop.
 */
export async function untilSecond(seconds: number): Promise<void> {
  for (let wait = seconds * 1000 - Date.now(); wait > 0; wait = seconds * 1000 - Date.now()) await sleep(wait + 1);
}

/** The first whole second strictly after now: a stamp that every token issued so far is before. */
export function nextSecond(): number {
  return Math.floor(Date.now() / 1000) + 1;
}
