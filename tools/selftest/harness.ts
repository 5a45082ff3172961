// A check runner that needs nothing from its host but `print` or `console.log`: no timers, no
// Node, no Espruino globals. One line per check, then "N passed, N failed".

declare const print: ((s: string) => void) | undefined;
declare const console: { log: (s: string) => void } | undefined;

let passed = 0;
let failed = 0;

function out(s: string): void {
  if (typeof print === "function") print(s);
  else if (typeof console !== "undefined") console.log(s);
}

/** `fn` returns null when the check holds, or a description of what differed. */
export function check(name: string, fn: () => string | null): void {
  let err: string | null;
  try {
    err = fn();
  } catch (e) {
    err = "threw " + String(e);
  }
  if (err === null) {
    passed++;
    out("ok - " + name);
  } else {
    failed++;
    out("not ok - " + name + ": " + err);
  }
}

export function expectEqual(actual: unknown, expected: unknown): string | null {
  return actual === expected ? null : "expected " + String(expected) + ", got " + String(actual);
}

export function summary(): void {
  out(passed + " passed, " + failed + " failed");
}
