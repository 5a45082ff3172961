// A check runner for any engine: it needs nothing from its host but `print` (Espruino,
// JerryScript, Duktape) or `console.log` (Node). One line per check, then exactly
// "N passed, M failed", which the tests and the lab read. Add checks in their own file, as a
// function that calls check(), and call that function from selftest-main.ts.

declare const print: ((line: string) => void) | undefined;

let passed = 0;
let failed = 0;

function out(line: string): void {
  if (typeof print === "function") print(line);
  else console.log(line);
}

/** `fn` returns null when the check holds, otherwise what differed; a throw is a failure too. */
export function check(name: string, fn: () => string | null): void {
  let problem: string | null;
  try {
    problem = fn();
  } catch (e) {
    problem = "threw " + String(e);
  }
  if (problem === null) {
    passed++;
    out("ok - " + name);
  } else {
    failed++;
    out("not ok - " + name + ": " + problem);
  }
}

export function expectEqual(actual: unknown, expected: unknown): string | null {
  return actual === expected ? null : "expected " + String(expected) + ", got " + String(actual);
}

/** Prints the closing line and returns the number of failed checks. */
export function summary(): number {
  out(passed + " passed, " + failed + " failed");
  return failed;
}
