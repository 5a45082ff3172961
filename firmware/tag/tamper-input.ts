// Debounced tamper input with a latch (strap loop, case switch). Pure: fed with levels and
// monotonic times, it owns no timer; the caller sets one for `deadline`.
//
//   state     | input reads | event                        | next state | effect
//   ----------+-------------+------------------------------+------------+----------------------
//   closed    | open        | edge                         | opening    | start = t
//   opening   | closed      | edge (t < start + debounce)  | closed     | glitches += 1 (chatter)
//   opening   | open        | t >= start + debounce        | open       | openNow, latched = true
//   open      | closed      | edge                         | closing    | start = t
//   closing   | open        | edge (t < start + debounce)  | open       | (chatter while open)
//   closing   | closed      | t >= start + debounce        | closed     | openNow cleared, latch kept
//
// The rule against chatter: only an open that lasts `debounce` ms WITHOUT A BREAK latches; every
// closed reading restarts the count. Only rearm() clears the latch, and not while open.
//
// The numbering carries the table (the tag's budget is 8 KB): the states go round 0 → 1 → 2 →
// 3 → 0 as an input opens and closes again, so an edge or a due deadline moves one state on
// (s + 1 mod 4) and chatter moves one back (s − 1); the odd states are the pending ones; "open
// now" is s ≥ 2. The results are data fields (no getters): the app reads them after each call.

const CLOSED = 0;
const OPENING = 1;
const OPEN = 2;
const CLOSING = 3;
export const TamperState = { closed: CLOSED, opening: OPENING, open: OPEN, closing: CLOSING };

export interface TamperInput {
  /** Debounced "open now". */
  openNow: boolean;
  /** Set by a debounced open; cleared only by rearm(). The caller persists it. */
  latched: boolean;
  /** When the open that latched began (monotonic ms); -1 when not known this boot (a latch
   * restored from flash: the clock restarted with the tag). */
  latchedAt: number;
  /** Opens shorter than the debounce (ignored chatter), for diagnostics. */
  glitches: number;
  /** When tick() must run next (monotonic ms), or -1 when nothing is pending. */
  deadline: number;
  /** Applies the passage of time. Returns true when openNow or latched changed. */
  tick(nowMs: number): boolean;
  /** A level read from the input (true = closed). Returns true when the flags changed. */
  level(closed: boolean, nowMs: number): boolean;
  /** Authenticated re-arm. Refused (false) while the input is open: the latch would be a lie. */
  rearm(): boolean;
}

/** closedNow: the input at boot (an input open at boot must still stay open debounceMs). */
export function tamperInput(
  debounceMs: number,
  closedNow: boolean,
  latched: boolean,
  nowMs: number,
): TamperInput {
  let state = CLOSED;

  function go(next: number, at: number): void {
    state = next & 3;
    t.openNow = state >= OPEN;
    t.deadline = state & 1 ? at + debounceMs : -1;
  }

  function tick(now: number): boolean {
    if (t.deadline < 0 || now < t.deadline) return false;
    // A latch kept from before a reboot keeps its (unknown) time: the strap opened back then.
    if (state === OPENING && !t.latched) {
      t.latched = true;
      t.latchedAt = t.deadline - debounceMs;
    }
    go(state + 1, now);
    return true;
  }

  const t: TamperInput = {
    openNow: false,
    latched: latched,
    latchedAt: -1,
    glitches: 0,
    deadline: -1,
    tick: tick,
    level: (closed, now) => {
      const changed = tick(now); // a transition that fell due before this edge happened first
      // OPENING and OPEN head for open: an edge the same way changes nothing.
      if (closed === (state === OPENING || state === OPEN)) {
        if (state & 1) {
          // A pending change is cancelled (chatter): back to where it came from.
          if (state === OPENING) t.glitches++;
          go(state - 1, 0);
        } else go(state + 1, now);
      }
      return changed;
    },
    rearm: () => {
      if (t.openNow) return false;
      t.latched = false;
      return true;
    },
  };
  if (!closedNow) go(OPENING, nowMs);
  return t;
}
