// Espruino 2v29's own semantics (firmware/README.md, "Engine differences"), held on the engine
// at hand: the helpers that work around them give the right answer, and what the device gate
// (tools/build/device-gate.ts) still lets through — one-character split, one-character indexOf,
// lastIndexOf — behaves as the gate assumes. A new engine or a change to a helper that breaks
// one of these fails here when selftest.js runs on the engines.

import { findText, startsWith } from "@em-platform/protocol/core/bytes";
import { fillText } from "../base/modem/modem-dialect";
import { check, expectEqual } from "./harness";

export function engineCanary(): void {
  check("fillText leaves text without its {key} alone (Espruino's split would empty it)", () =>
    expectEqual(fillText("ATE0", ["user", "pass"], ["u", "p"]), "ATE0"),
  );
  check("fillText fills every {key}, values longer and shorter than the key", () =>
    expectEqual(
      fillText('AT+X="{apn}","{user}",{apn}', ["apn", "user"], ["internet.example", ""]),
      'AT+X="internet.example","",internet.example',
    ),
  );
  check("findText: a needle that would run past the end is not found", () => {
    const cases: [string, string][] = [
      ["abc", "cd"],
      ["hello", "lo!"],
      [",timer,Flash,", ",crypto,"],
      ["ATE0", "{user}"],
    ];
    for (let i = 0; i < cases.length; i++) {
      const at = findText(cases[i][0], cases[i][1], 0);
      if (at !== -1) return cases[i][0] + " / " + cases[i][1] + ": " + at;
    }
    return null;
  });
  check("findText: real matches, from an offset too", () =>
    expectEqual(
      findText("cdabc", "cd", 0) +
        "," +
        findText("x{k}y{k}", "{k}", 2) +
        "," +
        findText("ab", "b", 0),
      "0,5,1",
    ),
  );
  check("startsWith: a whole prefix only", () =>
    expectEqual(startsWith("+CMTI: 1", "+CMTI:") + "," + startsWith("+CM", "+CMTI:"), "true,false"),
  );
  check("a queue cleared with splice is empty and takes new items", () => {
    const q = [1, 2, 3];
    q.splice(0, q.length);
    if (q.length !== 0 || q[0] !== undefined) return "left " + q.length;
    q.push(4);
    return expectEqual(q.length + ":" + q[0], "1:4");
  });
  check("split on one character, as the gate allows", () =>
    expectEqual(
      JSON.stringify("a,b,,c".split(",")) + JSON.stringify("".split(",")) + "ab".split("").length,
      '["a","b","","c"][""]2',
    ),
  );
  check("split on a regex, as the gate allows", () =>
    expectEqual(
      JSON.stringify("a, b".split(/,\s*/)) + JSON.stringify("a".split(/abc/)),
      '["a","b"]["a"]',
    ),
  );
  check(
    "one-character indexOf and lastIndexOf of a long needle are exact (the gate lets them)",
    () =>
      expectEqual(
        "abc".indexOf("c") +
          "," +
          "abc".indexOf("d") +
          "," +
          "abc".lastIndexOf("cd") +
          "," +
          "bab".lastIndexOf("ab"),
        "2,-1,-1,1",
      ),
  );
  check("clearTimeout of an id that is unknown does not throw (clearTimer has no catch)", () => {
    if (typeof clearTimeout === "function") clearTimeout(987654);
    return null;
  });
}
