// Virtual time for a whole simulated world: a discrete-event timer queue. Nothing sleeps;
// advance()/runUntil() jump from one due timer to the next. Deterministic: timers due at the
// same ms run in the order they were set. Device-safe code (the simulator and the HIL virtual
// bench ship it), so: no Map, no spread, plain loops.

/** Whoever set a timer; once `off`, none of its timers runs again (a device's power cut). */
export interface TimerOwner {
  off: boolean;
}

interface VirtualTimer {
  id: number;
  at: number;
  seq: number;
  every: number;
  fn: () => void;
  live: boolean;
  owner: TimerOwner | null;
}

function isLive(t: VirtualTimer): boolean {
  return t.live && (t.owner === null || !t.owner.off);
}

function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class VirtualClock {
  /** World time in ms since the world started. Only moves forward. */
  time = 0;
  /** Wall-clock ms (UTC) at world time 0. */
  readonly epochMs: number;
  private readonly heap: VirtualTimer[] = [];
  private readonly byId: { [id: number]: VirtualTimer } = {};
  private nextId = 1;
  private seq = 0;

  constructor(epochMs: number) {
    this.epochMs = epochMs;
  }

  private push(t: VirtualTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      const x = h[i];
      h[i] = h[p];
      h[p] = x;
      i = p;
    }
  }

  private pop(): VirtualTimer {
    const h = this.heap;
    const top = h[0];
    const last = h.pop() as VirtualTimer;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        const x = h[i];
        h[i] = h[m];
        h[m] = x;
        i = m;
      }
    }
    return top;
  }

  /** Runs fn after delayMs, then every everyMs if everyMs > 0, until owner (if any) is off.
   * Returns an id > 0. */
  schedule(fn: () => void, delayMs: number, everyMs: number, owner?: TimerOwner): number {
    const id = this.nextId++;
    const d = Math.max(delayMs, 0);
    const t: VirtualTimer = {
      id: id,
      at: this.time + d,
      seq: this.seq++,
      every: everyMs,
      fn: fn,
      live: true,
      owner: owner === undefined ? null : owner,
    };
    this.byId[id] = t;
    this.push(t);
    return id;
  }

  /** Cancels a timer; unknown or finished ids are ignored. */
  cancel(id: number): void {
    const t = this.byId[id];
    if (t === undefined) return;
    t.live = false;
    delete this.byId[id];
  }

  /** When the next live timer is due, or -1 when none is. */
  nextDue(): number {
    const h = this.heap;
    while (h.length > 0 && !isLive(h[0])) {
      delete this.byId[h[0].id];
      this.pop();
    }
    return h.length > 0 ? h[0].at : -1;
  }

  /** Runs the earliest live timer if it is due at or before `limit`. Returns false otherwise. */
  step(limit: number): boolean {
    const due = this.nextDue();
    if (due < 0 || due > limit) return false;
    const t = this.pop();
    this.time = t.at;
    if (t.every > 0) {
      t.at += t.every;
      t.seq = this.seq++;
      this.push(t);
    } else {
      t.live = false;
      delete this.byId[t.id];
    }
    t.fn();
    return true;
  }

  /** Runs everything due in the next ms milliseconds; time ends exactly ms later. */
  advance(ms: number): void {
    const end = this.time + ms;
    while (this.step(end)) {}
    this.time = end;
  }

  /**
   * Runs timers until predicate() holds (checked before and after each timer) or maxMs pass.
   * Returns whether it held: the `expect(timeout, predicate)` of these tests, without sleeps.
   */
  runUntil(predicate: () => boolean, maxMs: number): boolean {
    const end = this.time + maxMs;
    if (predicate()) return true;
    while (this.step(end)) if (predicate()) return true;
    this.time = end;
    return predicate();
  }

  /** Live timers (for leak checks). */
  pending(): number {
    let n = 0;
    for (let i = 0; i < this.heap.length; i++) if (isLive(this.heap[i])) n++;
    return n;
  }
}
