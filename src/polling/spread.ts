/**
 * Keeping schedules apart: each target starts at a phase drawn from a hash of its tenant
 * and key (the same on every instance and every restart, so a fleet does not line up
 * either), and every interval is stretched or shrunk by a little random jitter so targets
 * that happen to share a cadence drift apart instead of polling in the same second.
 */

/** FNV-1a of the text: 32 bits, spread well enough for phases, and the same everywhere. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Where in a cycle of `spanMs` this target's first poll falls, in [0, spanMs). */
export function phaseOf(tenant: string, key: string, spanMs: number): number {
  return Math.floor((hash32(`${tenant}\u0000${key}`) / 2 ** 32) * spanMs);
}

/** `intervalMs` give or take `jitter` of itself (0.1: ±10 %), never below `floorMs`, in whole ms. */
export function jittered(intervalMs: number, jitter: number, random: () => number, floorMs: number): number {
  return Math.round(Math.max(floorMs, intervalMs * (1 + jitter * (2 * random() - 1))));
}
