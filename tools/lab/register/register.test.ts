// The register on a real SQLite file (sql.js): a device's life from provisioning to retirement,
// every refusal leaving the file byte-for-byte as it was, names refused as case references,
// migrations, unreadable files, and the exports — the pseudonymised one holding no case
// reference or device id.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import initSqlJs from "sql.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../main";
import { isCaseRef } from "./device-state";
import { DeviceRegister } from "./register";
import { pseudonymisedCsv, registerCsv } from "./register-export";
import { MIGRATIONS } from "./register-schema";

const TAG = 0xc0ffee;
const UNIT = 0xa11c;
let dir: string;
let db: string;
let t = 0;
const o = {
  operator: "lab-1",
  now: () => new Date(Date.UTC(2026, 11, 1) + 60_000 * t++).toISOString(),
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "register-"));
  db = join(dir, "register.sqlite");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function stocked(): Promise<DeviceRegister> {
  const r = await DeviceRegister.create(db, o);
  r.add("tag", TAG, "0.1.0", 1);
  r.add("unit", UNIT, "0.1.0", 1);
  r.pair(TAG, UNIT);
  return r;
}

/** What a refused call must leave: the same bytes on disk, and an error of `code`. */
function refusedUnchanged(call: () => void, code: string): void {
  const before = readFileSync(db);
  expect(call).toThrow(expect.objectContaining({ code }));
  expect(readFileSync(db).equals(before)).toBe(true);
}

describe("device register", () => {
  it("follows a tag from provisioning through two cases, a loss and retirement", async () => {
    const r = await stocked();
    r.issue("tag", TAG, "RIGA/2026-0457", "working");
    r.giveBack("tag", TAG, "damaged");
    r.issue("tag", TAG, "VLN-2027-12", "damaged");
    r.giveBack("tag", TAG, "lost");
    r.retire("tag", TAG, "not found after 90 days");
    r.close();
    // Everything is on disk: a fresh open sees it.
    const again = await DeviceRegister.open(db, o);
    const d = again.get("tag", TAG);
    expect(d).toMatchObject({ state: "retired", caseRef: "VLN-2027-12", returnCondition: "lost" });
    expect(d.pairedWith).toBe(UNIT);
    const h = again.history("tag", TAG);
    expect(h.map((e) => e.action)).toEqual([
      "provisioned",
      "paired",
      "issued",
      "returned",
      "issued",
      "lost",
      "retired",
    ]);
    expect(h.every((e) => e.operator === "lab-1")).toBe(true);
    expect(h[3].detail).toEqual({ condition: "damaged", caseRef: "RIGA/2026-0457" });
    // One instant per change: the record's issue time is its history entry's.
    expect(again.history("tag", TAG)[4].at).toBe(
      (await DeviceRegister.open(db, o)).get("tag", TAG).issuedAt,
    );
  });

  it("refuses what the state does not allow, and leaves the file as it was", async () => {
    const r = await stocked();
    refusedUnchanged(() => r.giveBack("tag", TAG, "working"), "refused"); // not issued
    r.issue("tag", TAG, "RIGA/2026-0457", "working");
    refusedUnchanged(() => r.issue("tag", TAG, "RIGA/2026-0458", "working"), "refused");
    refusedUnchanged(() => r.retire("tag", TAG, "old"), "refused"); // in service
    // In service: re-provisioning and re-pairing need --force and a reason.
    refusedUnchanged(() => r.add("tag", TAG, "0.2.0", 2), "refused");
    refusedUnchanged(() => r.pair(TAG, UNIT), "refused");
    r.add("tag", TAG, "0.2.0", 2, "key rotation RIGA-KR-7");
    expect(r.get("tag", TAG)).toMatchObject({ firmware: "0.2.0", keyVersion: 2, state: "issued" });
    expect(r.history("tag", TAG).at(-1)?.detail).toMatchObject({
      reason: "key rotation RIGA-KR-7",
      was: { firmware: "0.1.0", keyVersion: 1 },
    });
    refusedUnchanged(() => r.get("unit", 0x1234), "not-in-register");
    refusedUnchanged(() => r.issue("unit", UNIT, "RIGA/2026-0457", "lost"), "usage");
  });

  it("takes case references, never names", async () => {
    for (const ref of ["RIGA/2026-0457", "VLN-2027-12", "LV.PROB.88", "A12"])
      expect(isCaseRef(ref), ref).toBe(true);
    for (const name of ["Jānis Bērziņš", "John Smith", "smith", "Ö12", "AB", "A".repeat(33), ""])
      expect(isCaseRef(name), name).toBe(false);
    const r = await stocked();
    refusedUnchanged(() => r.issue("tag", TAG, "John Smith", "working"), "usage");
  });

  it("moves a pairing: the tag's old unit is paired with nothing", async () => {
    const r = await stocked();
    r.add("unit", 0xb0b0, "0.1.0", 1);
    r.pair(TAG, 0xb0b0);
    expect(r.get("unit", UNIT).pairedWith).toBeNull();
    expect(r.get("unit", 0xb0b0).pairedWith).toBe(TAG);
    expect(r.get("tag", TAG).pairedWith).toBe(0xb0b0);
  });

  it("migrates an older register, and refuses a newer one or a file that is not one", async () => {
    const SQL = await initSqlJs();
    writeFileSync(db, new SQL.Database().export()); // version 0: an empty SQLite file
    const r = await DeviceRegister.open(db, o);
    expect(r.version()).toBe(MIGRATIONS.length);
    r.close();
    const newer = new SQL.Database();
    newer.exec("PRAGMA user_version = 99");
    writeFileSync(db, newer.export());
    await expect(DeviceRegister.open(db, o)).rejects.toMatchObject({ code: "register-unreadable" });
    writeFileSync(db, "not a database, just text that someone saved under this name");
    await expect(DeviceRegister.open(db, o)).rejects.toMatchObject({ code: "register-unreadable" });
    await expect(DeviceRegister.create(db, o)).rejects.toMatchObject({ code: "refused" });
  });

  it("a change whose file cannot be written leaves the old register on disk", async () => {
    const r = await stocked();
    const before = readFileSync(db);
    mkdirSync(db + ".tmp"); // the temporary file cannot be created
    expect(() => r.issue("tag", TAG, "RIGA/2026-0457", "working")).toThrow();
    expect(readFileSync(db).equals(before)).toBe(true);
    expect((await DeviceRegister.open(db, o)).get("tag", TAG).state).toBe("in_stock");
  });

  it("exports CSV in full, and pseudonymised with no case reference or id left", async () => {
    const r = await stocked();
    r.issue("tag", TAG, "RIGA/2026-0457", "working");
    const full = registerCsv(r.list());
    expect(full.split("\r\n")[1]).toBe(
      `tag,0x00c0ffee,0.1.0,1,issued,RIGA/2026-0457,${r.get("tag", TAG).issuedAt},working,,,0x0000a11c`,
    );
    const key = new Uint8Array(32).fill(7);
    const p = pseudonymisedCsv(r.list(), key);
    expect(p).not.toMatch(/RIGA|c0ffee|a11c|T\d\d:/i);
    expect(pseudonymisedCsv(r.list(), key)).toBe(p); // stable under one key
    expect(pseudonymisedCsv(r.list(), new Uint8Array(32).fill(8))).not.toBe(p);
    // the pairing survives pseudonymisation: the tag's partner is the unit's pseudonym
    const rows = p
      .trim()
      .split("\r\n")
      .slice(1)
      .map((l) => l.split(","));
    expect(rows[0][10]).toBe(rows[1][1]);
    expect(() => pseudonymisedCsv(r.list(), new Uint8Array(16))).toThrow(/32 bytes/);
  });

  it("never lets a cell run as a spreadsheet formula", async () => {
    const r = await stocked();
    r.add("tag", 0x42, '=HYPERLINK("x")', 1);
    expect(registerCsv(r.list())).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it("lab register: exit codes and output", async () => {
    const run = (...a: string[]) => main(["register", ...a, "--db", db, "--operator", "lab-2"]);
    expect(await run("list")).toBe(10); // no register yet
    expect(await run("init")).toBe(0);
    expect(await run("init")).toBe(11);
    expect(await run("add", "tag", "0xc0ffee", "--firmware", "0.1.0", "--key-version", "1")).toBe(
      0,
    );
    expect(await run("issue", "tag", "0xc0ffee", "--case", "John Smith")).toBe(2);
    expect(await run("issue", "tag", "12648430", "--case", "RIGA/1")).toBe(0);
    expect(await run("add", "tag", "0xc0ffee", "--firmware", "0.2.0", "--key-version", "2")).toBe(
      11,
    );
    expect(await run("show", "unit", "0x1")).toBe(10);
    expect(await run("frobnicate")).toBe(2);
    const out = join(dir, "x.csv");
    expect(
      await run("export", "--out", out, "--pseudonymise", "--key-file", join(dir, "none")),
    ).toBe(2);
    expect(await run("export", "--out", out)).toBe(0);
    expect(readFileSync(out, "utf8")).toContain("RIGA/1");
  });
});
