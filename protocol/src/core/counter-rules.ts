// SPEC §3's counter rules as plain functions: what a device that cannot afford the classes
// (the tag) uses, and what SenderCounter and ReceiverCounter in counters.ts are built on — one
// copy of the rules for every face. A file of its own so a bundle that needs only the rules
// does not carry the classes (esbuild cannot drop an ES5 class it cannot prove unused).

import { equalBytes } from "./bytes.js";

const MAX_COUNTER = 0xffffffff;

/** Where a sender keeps its counter reservation. `load` returns null when nothing was stored. */
export interface CounterStore {
  load(): number | null;
  save(value: number): void;
}

/**
 * The sender rule as a function, for a device that cannot afford a class (the tag's bundle);
 * SenderCounter is built on it. Stores the first reservation at once (step 1); the function it
 * returns gives the next counter, having first stored a reservation above it (step 2), or -1
 * once all 2^32 are used. When store.save throws, the error passes through and no counter is
 * used.
 */
export function counterSender(store: CounterStore, k: number): () => number {
  if (!(k >= 1)) throw new Error("counter: K must be >= 1");
  const stored = store.load();
  let next = stored === null ? 0 : stored;
  let reserved = next;
  function reserve(): void {
    const r = Math.min(next + k, MAX_COUNTER + 1);
    store.save(r);
    reserved = r;
  }
  // An exhausted counter has nothing left to reserve: no flash write at every boot.
  if (next <= MAX_COUNTER) reserve();
  return () => {
    if (next > MAX_COUNTER) return -1;
    if (next >= reserved) reserve();
    return next++;
  };
}

export type CounterClass = "fresh" | "duplicate" | "replay" | "too_far_ahead";

/**
 * The receiver rule as a function (ReceiverCounter is built on it): the class of `counter`,
 * whose frame's MAC verified, against the highest accepted counter (-1: none yet) and the MAC of
 * that frame (null: not known, e.g. after a reboot, so a repeat of it counts as a replay).
 */
export function classifyCounter(
  highest: number,
  highestMac: Uint8Array | null,
  gap: number,
  counter: number,
  mac: Uint8Array,
): CounterClass {
  if (highest < 0) return "fresh";
  if (counter === highest)
    return highestMac !== null && equalBytes(mac, highestMac) ? "duplicate" : "replay";
  if (counter < highest) return "replay";
  if (counter - highest > gap) return "too_far_ahead";
  return "fresh";
}
