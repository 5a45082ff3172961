// `lab register …`: the register from the command line. One action per call; each change is
// saved before the command returns (register.ts).

import { readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { LabError } from "../errors";
import type { Condition, DeviceState } from "./device-state";
import { type DeviceKind, type DeviceRecord, DeviceRegister, hexId } from "./register";
import { pseudonymisedCsv, registerCsv } from "./register-export";

export const REGISTER_USAGE = `lab register <action> … [--db <file>]

The equipment register (SQLite): each device's identity, firmware, key version, the case it is
issued to (a case reference, never a name), condition at issue and return, and every change.

actions:
  init                                 create a new register
  add <tag|unit> <id> --firmware <v> --key-version <n>
                                       a provisioned device enters stock (again: new keys or
                                       firmware; in service only with --force --reason)
  issue <tag|unit> <id> --case <ref> [--condition working|damaged]
  return <tag|unit> <id> --condition working|damaged|lost
  retire <tag|unit> <id> --reason <text>
  pair <tag id> <unit id>              (in service only with --force --reason)
  show <tag|unit> <id>                 the record and its history
  list [--state in_stock|issued|lost|retired]
  export --out <file.csv> [--pseudonymise --key-file <file>]
                                       CSV; pseudonymised: keyed pseudonyms for case references
                                       and device ids (the key, 32+ bytes, stays in the lab), days

options:
  --db <file>        the register (default: EM_REGISTER, else ./lab-register.sqlite)
  --operator <name>  who makes the change (default: the login name)
ids: decimal or 0x hex.
exit codes: 0 done, 2 usage, 10 no such device or register, 11 refused (e.g. not in stock,
  in service without --force), 12 the file is not a register (or a newer one)`;

export const REGISTER_OPTIONS = {
  db: { type: "string" as const },
  operator: { type: "string" as const },
  firmware: { type: "string" as const },
  "key-version": { type: "string" as const },
  case: { type: "string" as const },
  condition: { type: "string" as const },
  reason: { type: "string" as const },
  force: { type: "boolean" as const },
  state: { type: "string" as const },
  out: { type: "string" as const },
  pseudonymise: { type: "boolean" as const },
  "key-file": { type: "string" as const },
};

type Values = Record<string, string | boolean | undefined>;

/** --db, else EM_REGISTER, else ./lab-register.sqlite. */
export function registerPath(v: Values): string {
  return (v.db as string | undefined) ?? process.env.EM_REGISTER ?? "lab-register.sqlite";
}

export async function runRegister(args: string[], v: Values): Promise<number> {
  const [action, ...rest] = args;
  const path = registerPath(v);
  const o = { operator: (v.operator as string | undefined) ?? userInfo().username };
  if (action === "init") {
    (await DeviceRegister.create(path, o)).close();
    process.stdout.write(`created ${path}\n`);
    return 0;
  }
  const reg = await DeviceRegister.open(path, o);
  try {
    return run(reg, action, rest, v);
  } finally {
    reg.close();
  }
}

function run(reg: DeviceRegister, action: string | undefined, a: string[], v: Values): number {
  const out = (s: string) => process.stdout.write(s + "\n");
  switch (action) {
    case "add":
      reg.add(kind(a[0]), id(a[1]), need(v, "firmware"), int(need(v, "key-version")), force(v));
      out(`${a[0]} ${hexId(id(a[1]))} in the register`);
      return 0;
    case "issue":
      reg.issue(kind(a[0]), id(a[1]), need(v, "case"), condition(v.condition ?? "working"));
      out(`${a[0]} ${hexId(id(a[1]))} issued to ${v.case}`);
      return 0;
    case "return":
      reg.giveBack(kind(a[0]), id(a[1]), condition(need(v, "condition")));
      out(`${a[0]} ${hexId(id(a[1]))} ${v.condition === "lost" ? "lost" : "returned"}`);
      return 0;
    case "retire":
      reg.retire(kind(a[0]), id(a[1]), need(v, "reason"));
      out(`${a[0]} ${hexId(id(a[1]))} retired`);
      return 0;
    case "pair":
      reg.pair(id(a[0]), id(a[1]), force(v));
      out(`tag ${hexId(id(a[0]))} paired with unit ${hexId(id(a[1]))}`);
      return 0;
    case "show": {
      const d = reg.get(kind(a[0]), id(a[1]));
      out(describe(d));
      for (const h of reg.history(d.kind, d.id))
        out(`  ${h.at}  ${h.action.padEnd(13)} ${JSON.stringify(h.detail)}  by ${h.operator}`);
      return 0;
    }
    case "list":
      for (const d of reg.list(v.state === undefined ? undefined : state(v.state)))
        out(describe(d));
      return 0;
    case "export": {
      const file = need(v, "out");
      const devices = reg.list();
      let text: string;
      if (v.pseudonymise) {
        const keyFile = need(v, "key-file");
        let key: Buffer;
        try {
          key = readFileSync(keyFile);
        } catch (e) {
          throw new LabError("usage", `cannot read ${keyFile}: ${(e as Error).message}`);
        }
        if (key.length < 32) throw new LabError("usage", "the pseudonym key must be 32+ bytes");
        text = pseudonymisedCsv(devices, key);
      } else text = registerCsv(devices);
      writeFileSync(file, text);
      out(`${devices.length} devices written to ${file}`);
      return 0;
    }
    default:
      throw new LabError("usage", `no register action ${action ?? "(none)"}\n\n${REGISTER_USAGE}`);
  }
}

function describe(d: DeviceRecord): string {
  const parts = [`${d.kind} ${hexId(d.id)}`, d.state, `fw ${d.firmware}`, `key v${d.keyVersion}`];
  if (d.state === "issued")
    parts.push(`case ${d.caseRef} since ${d.issuedAt} (${d.issueCondition})`);
  if (d.returnedAt !== null) parts.push(`back ${d.returnedAt} (${d.returnCondition})`);
  if (d.pairedWith !== null) parts.push(`paired with ${hexId(d.pairedWith)}`);
  return parts.join(", ");
}

function need(v: Values, name: string): string {
  const x = v[name];
  if (typeof x !== "string" || x === "") throw new LabError("usage", `--${name} is needed`);
  return x;
}

function force(v: Values): string | undefined {
  if (!v.force) return undefined;
  return need(v, "reason");
}

function kind(s: string | undefined): DeviceKind {
  if (s !== "tag" && s !== "unit") throw new LabError("usage", "a device is a tag or a unit");
  return s;
}

function id(s: string | undefined): number {
  const n =
    s === undefined
      ? Number.NaN
      : /^0x[0-9a-f]+$/i.test(s)
        ? Number.parseInt(s, 16)
        : /^\d+$/.test(s)
          ? Number(s)
          : Number.NaN;
  if (!(n >= 1 && n <= 0xffffffff)) throw new LabError("usage", `not a device id: ${s}`);
  return n;
}

function int(s: string): number {
  if (!/^\d+$/.test(s)) throw new LabError("usage", `not a number: ${s}`);
  return Number(s);
}

function condition(s: unknown): Condition {
  if (s !== "working" && s !== "damaged" && s !== "lost")
    throw new LabError("usage", "condition is working, damaged or lost");
  return s;
}

function state(s: unknown): DeviceState {
  if (s !== "in_stock" && s !== "issued" && s !== "lost" && s !== "retired")
    throw new LabError("usage", "state is in_stock, issued, lost or retired");
  return s;
}
