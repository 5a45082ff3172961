// Virtual time inside a real engine: JavaScript, evaluated before a bundle, that replaces the
// interpreter's timers and clock so a test can run hours of a device's life in seconds —
// `__advance(ms)` runs every timer due in that span, in order, with getTime() reading the
// virtual clock. Only time is virtual: the bundle, its RAM and its Storage are the engine's own.
// For code that talks to the real world in real time (a modem on a pty) use the engine's timers.

/** Engine-side source; call `__advance(ms)` from the boot script. Starts at `startS` (Unix s). */
export function virtualTimersSource(startS: number): string {
  return `(function () {
  var now = ${startS * 1000};
  var seq = 0;
  var timers = [];
  function add(fn, ms, every) {
    seq++;
    timers.push({ id: seq, at: now + Math.max(0, ms || 0), every: every, fn: fn });
    return seq;
  }
  function clear(id) {
    for (var i = 0; i < timers.length; i++) if (timers[i].id === id) { timers.splice(i, 1); return; }
  }
  global.setTimeout = function (fn, ms) { return add(fn, ms, 0); };
  global.setInterval = function (fn, ms) { return add(fn, ms, Math.max(1, ms)); };
  global.clearTimeout = clear;
  global.clearInterval = clear;
  global.getTime = function () { return now / 1000; };
  global.setTime = function (s) { now = s * 1000; };
  global.__advance = function (ms) {
    var end = now + ms;
    for (;;) {
      var next = null;
      for (var i = 0; i < timers.length; i++)
        if (next === null || timers[i].at < next.at || (timers[i].at === next.at && timers[i].id < next.id)) next = timers[i];
      if (next === null || next.at > end) break;
      now = next.at;
      if (next.every > 0) next.at += next.every;
      else clear(next.id);
      next.fn();
    }
    now = end;
  };
})();
`;
}
