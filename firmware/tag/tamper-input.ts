// Debounced tamper input with a latch (strap loop, case switch). Pure: fed with levels and
// monotonic times, it owns no timer; the caller sets one for deadline().
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
// (Closure style, like the other tag modules: locals minify, properties do not; budget 8 KB.)

const CLOSED = 0;
const OPENING = 1;
const OPEN = 2;
const CLOSING = 3;
export const TamperState = { closed: CLOSED, opening: OPENING, open: OPEN, closing: CLOSING };

export interface TamperInput {
  /** Debounced "open now". */
  openNow(): boolean;
  /** Set by a debounced open; cleared only by rearm(). The caller persists it. */
  latched(): boolean;
  /** Opens shorter than the debounce (ignored chatter), for diagnostics. */
  glitches(): number;
  /** When tick() must run next (monotonic ms), or -1 when nothing is pending. */
  deadline(): number;
  /** Applies the passage of time. Returns true when openNow() or latched() changed. */
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
  let state = closedNow ? CLOSED : OPENING;
  let start = nowMs;
  let latch = latched;
  let glitches = 0;

  function openNow(): boolean {
    return state === OPEN || state === CLOSING;
  }

  function tick(now: number): boolean {
    if (now < start + debounceMs) return false;
    if (state === OPENING) {
      state = OPEN;
      latch = true;
      return true;
    }
    if (state === CLOSING) {
      state = CLOSED;
      return true;
    }
    return false;
  }

  function level(closed: boolean, now: number): boolean {
    const changed = tick(now); // a transition that fell due before this edge happened first
    if (closed) {
      if (state === OPENING) {
        state = CLOSED;
        glitches++;
      } else if (state === OPEN) {
        state = CLOSING;
        start = now;
      }
    } else if (state === CLOSED) {
      state = OPENING;
      start = now;
    } else if (state === CLOSING) state = OPEN;
    return changed;
  }

  return {
    openNow: openNow,
    latched: () => latch,
    glitches: () => glitches,
    deadline: () => (state === OPENING || state === CLOSING ? start + debounceMs : -1),
    tick: tick,
    level: level,
    rearm: () => {
      if (openNow()) return false;
      latch = false;
      return true;
    },
  };
}
