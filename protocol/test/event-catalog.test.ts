// The event catalog three ways: SPEC §9's table, EventCode with eventClass, and the data type of
// every code (EventDataByCode). A code added in one place and not the others fails here (the
// data types at typecheck time, which `npm test` runs first).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { EventClass, EventCode, type EventDataByCode, eventClass } from "../src/core/events";

type Missing = Exclude<(typeof EventCode)[keyof typeof EventCode], keyof EventDataByCode>;
// Fails to compile when a code has no data type.
const everyCodeTyped: [Missing] extends [never] ? true : false = true;

const CLASS: Record<string, number> = {
  A: EventClass.alarm,
  T: EventClass.technical,
  I: EventClass.informational,
};

function specRows(): { code: number; name: string; cls: number }[] {
  const spec = readFileSync(join(import.meta.dirname, "..", "SPEC.md"), "utf8");
  const start = spec.indexOf("## 9. Event catalog");
  const end = spec.indexOf("## 10.", start);
  const rows: { code: number; name: string; cls: number }[] = [];
  for (const line of spec.slice(start, end).split("\n")) {
    const m = /^\| (0x[0-9A-F]{2}) \| ([a-z_]+) +\| ([ATI]) /.exec(line);
    if (m) rows.push({ code: Number(m[1]), name: m[2], cls: CLASS[m[3]] });
  }
  return rows;
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());

it("SPEC §9 lists exactly the codes EventCode has, by the same names and classes", () => {
  expect(everyCodeTyped).toBe(true);
  const rows = specRows();
  const code = Object.entries(EventCode).map(([name, code]) => ({
    code,
    name: snake(name),
    cls: eventClass(code),
  }));
  expect(rows.sort((a, b) => a.code - b.code)).toEqual(code.sort((a, b) => a.code - b.code));
});
