// The equipment register: which device holds which identity and key version, who (a case
// reference) it is issued to, in what condition it went out and came back, and every change.
// SQLite (sql.js: SQLite compiled to WebAssembly, so a lab machine needs nothing but Node). The
// whole database is read into memory, changed in one transaction per command, and written to a
// temporary file that replaces the register only once complete: a crash leaves the old register
// or the new one, never half of either.

import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import initSqlJs, { type Database, type SqlValue } from "sql.js";
import { LabError } from "../errors";
import {
  type Action,
  type Condition,
  type DeviceState,
  isCaseRef,
  needsForce,
  nextState,
} from "./device-state";
import { MIGRATIONS } from "./register-schema";

export type DeviceKind = "tag" | "unit";

export interface DeviceRecord {
  kind: DeviceKind;
  id: number;
  firmware: string;
  keyVersion: number;
  state: DeviceState;
  caseRef: string | null;
  issuedAt: string | null;
  issueCondition: Condition | null;
  returnedAt: string | null;
  returnCondition: Condition | null;
  pairedWith: number | null;
}

export interface HistoryEntry {
  seq: number;
  at: string;
  kind: DeviceKind;
  id: number;
  action: string;
  detail: Record<string, unknown>;
  operator: string;
}

export interface RegisterOptions {
  /** Who does it (lab staff), written to every history entry. */
  operator: string;
  /** ISO time of a change; default now. */
  now?: () => string;
}

const COLUMNS =
  "kind, id, firmware, key_version, state, case_ref, issued_at, issue_condition, returned_at, return_condition, paired_with";

export class DeviceRegister {
  /** The time of the change under way: one instant for its rows and its history. */
  private at = "";

  private constructor(
    private readonly db: Database,
    private readonly path: string,
    private readonly o: RegisterOptions,
  ) {}

  /** Creates a new register file; refuses to overwrite one. */
  static async create(path: string, o: RegisterOptions): Promise<DeviceRegister> {
    if (existsSync(path)) throw new LabError("refused", `${path} exists already`);
    const SQL = await initSqlJs();
    const r = new DeviceRegister(new SQL.Database(), path, o);
    r.migrate();
    r.save();
    return r;
  }

  /** Opens a register and brings its schema up to date (saved when a migration ran). */
  static async open(path: string, o: RegisterOptions): Promise<DeviceRegister> {
    if (!existsSync(path))
      throw new LabError(
        "not-in-register",
        `no register at ${path} (lab register init creates one)`,
      );
    const SQL = await initSqlJs();
    let db: Database;
    try {
      db = new SQL.Database(readFileSync(path));
      db.exec("SELECT count(*) FROM sqlite_master");
    } catch (e) {
      throw new LabError(
        "register-unreadable",
        `${path} is not a register: ${(e as Error).message}`,
      );
    }
    const r = new DeviceRegister(db, path, o);
    if (r.migrate()) r.save();
    return r;
  }

  /** Schema version (migrations applied). */
  version(): number {
    return Number(this.db.exec("PRAGMA user_version")[0].values[0][0]);
  }

  /** A provisioned device enters the register, in stock. Again (new keys or firmware) only
   * with `force` and a reason when it is in service. */
  add(kind: DeviceKind, id: number, firmware: string, keyVersion: number, force?: string): void {
    checkId(id);
    if (!(keyVersion >= 0 && keyVersion <= 255 && Math.floor(keyVersion) === keyVersion))
      throw new LabError("usage", "key version is 0…255");
    const d = this.find(kind, id);
    this.change(() => {
      if (d === null) {
        this.db.run(
          "INSERT INTO devices (kind, id, firmware, key_version, state) VALUES (?, ?, ?, ?, 'in_stock')",
          [kind, id, firmware, keyVersion],
        );
        this.log(kind, id, "provisioned", { firmware, keyVersion });
        return;
      }
      this.allow(d, "reprovision", force);
      this.db.run("UPDATE devices SET firmware = ?, key_version = ? WHERE kind = ? AND id = ?", [
        firmware,
        keyVersion,
        kind,
        id,
      ]);
      this.log(kind, id, "reprovisioned", {
        firmware,
        keyVersion,
        was: { firmware: d.firmware, keyVersion: d.keyVersion },
        reason: force ?? null,
      });
    });
  }

  /** Throws what `add` would refuse, without changing anything: checked before a device is
   * written, so a refused provisioning writes nothing to it either. */
  checkProvision(kind: DeviceKind, id: number, force?: string): void {
    checkId(id);
    const d = this.find(kind, id);
    if (d !== null) this.allow(d, "reprovision", force);
  }

  /** Throws what `pair` would refuse; the unit may not be registered yet (it is being
   * provisioned). */
  checkPair(tagId: number, unitId: number, force?: string): void {
    this.allow(this.get("tag", tagId), "pair", force);
    const unit = this.find("unit", unitId);
    if (unit !== null) this.allow(unit, "pair", force);
  }

  issue(kind: DeviceKind, id: number, caseRef: string, condition: Condition): void {
    if (!isCaseRef(caseRef))
      throw new LabError(
        "usage",
        "a case reference is 3–32 of A–Z 0–9 / . - (never a person's name)",
      );
    if (condition === "lost") throw new LabError("usage", "a device is issued working or damaged");
    const d = this.get(kind, id);
    this.allow(d, "issue");
    this.change(() => {
      this.db.run(
        "UPDATE devices SET state = 'issued', case_ref = ?, issued_at = ?, issue_condition = ?, returned_at = NULL, return_condition = NULL WHERE kind = ? AND id = ?",
        [caseRef, this.at, condition, kind, id],
      );
      this.log(kind, id, "issued", { caseRef, condition });
    });
  }

  /** Back from a case (or a lost one found): in stock again, or lost when it did not come back. */
  giveBack(kind: DeviceKind, id: number, condition: Condition): void {
    const d = this.get(kind, id);
    this.allow(d, condition === "lost" ? "lost" : "return");
    this.change(() => {
      this.db.run(
        "UPDATE devices SET state = ?, returned_at = ?, return_condition = ? WHERE kind = ? AND id = ?",
        [condition === "lost" ? "lost" : "in_stock", this.at, condition, kind, id],
      );
      this.log(kind, id, condition === "lost" ? "lost" : "returned", {
        condition,
        caseRef: d.caseRef,
      });
    });
  }

  retire(kind: DeviceKind, id: number, reason: string): void {
    if (reason.trim() === "") throw new LabError("usage", "retiring a device needs a reason");
    const d = this.get(kind, id);
    this.allow(d, "retire");
    this.change(() => {
      this.db.run("UPDATE devices SET state = 'retired' WHERE kind = ? AND id = ?", [kind, id]);
      this.log(kind, id, "retired", { reason });
    });
  }

  /** Records that a tag and a unit were paired (each names the other). */
  pair(tagId: number, unitId: number, force?: string): void {
    const tag = this.get("tag", tagId);
    const unit = this.get("unit", unitId);
    this.allow(tag, "pair", force);
    this.allow(unit, "pair", force);
    this.change(() => {
      for (const [d, other] of [
        [tag, unitId],
        [unit, tagId],
      ] as const) {
        this.db.run("UPDATE devices SET paired_with = ? WHERE kind = ? AND id = ?", [
          other,
          d.kind,
          d.id,
        ]);
        this.log(d.kind, d.id, "paired", { with: other, was: d.pairedWith, reason: force ?? null });
      }
      // The devices they were paired with before are paired with nothing now.
      if (tag.pairedWith !== null && tag.pairedWith !== unitId)
        this.db.run("UPDATE devices SET paired_with = NULL WHERE kind = 'unit' AND id = ?", [
          tag.pairedWith,
        ]);
      if (unit.pairedWith !== null && unit.pairedWith !== tagId)
        this.db.run("UPDATE devices SET paired_with = NULL WHERE kind = 'tag' AND id = ?", [
          unit.pairedWith,
        ]);
    });
  }

  find(kind: DeviceKind, id: number): DeviceRecord | null {
    const rows = this.rows(`SELECT ${COLUMNS} FROM devices WHERE kind = ? AND id = ?`, [kind, id]);
    return rows.length === 0 ? null : toRecord(rows[0]);
  }

  get(kind: DeviceKind, id: number): DeviceRecord {
    checkId(id);
    const d = this.find(kind, id);
    if (d === null)
      throw new LabError("not-in-register", `no ${kind} ${hexId(id)} in the register`);
    return d;
  }

  list(state?: DeviceState): DeviceRecord[] {
    const sql = `SELECT ${COLUMNS} FROM devices${state ? " WHERE state = ?" : ""} ORDER BY kind, id`;
    return this.rows(sql, state ? [state] : []).map(toRecord);
  }

  history(kind?: DeviceKind, id?: number): HistoryEntry[] {
    const where = kind === undefined ? "" : " WHERE kind = ? AND id = ?";
    return this.rows(
      `SELECT seq, at, kind, id, action, detail, operator FROM history${where} ORDER BY seq`,
      kind === undefined ? [] : [kind, id ?? 0],
    ).map((r) => ({
      seq: Number(r[0]),
      at: String(r[1]),
      kind: r[2] as DeviceKind,
      id: Number(r[3]),
      action: String(r[4]),
      detail: JSON.parse(String(r[5])),
      operator: String(r[6]),
    }));
  }

  close(): void {
    this.db.close();
  }

  private allow(d: DeviceRecord, action: Action, force?: string): void {
    if (nextState(d.state, action) === null)
      throw new LabError(
        "refused",
        `${d.kind} ${hexId(d.id)} is ${d.state.replace("_", " ")}: cannot ${action}`,
      );
    if (needsForce(d.state, action) && (force === undefined || force.trim() === ""))
      throw new LabError(
        "refused",
        `${d.kind} ${hexId(d.id)} is in service (case ${d.caseRef}): ${action} needs --force and --reason`,
      );
  }

  /** One transaction, then the file replaced; on any failure nothing changes, in memory or on disk. */
  private change(body: () => void): void {
    this.at = this.now();
    this.db.exec("BEGIN");
    try {
      body();
      this.db.exec("COMMIT");
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
    this.save();
  }

  private log(kind: DeviceKind, id: number, action: string, detail: Record<string, unknown>): void {
    this.db.run(
      "INSERT INTO history (at, kind, id, action, detail, operator) VALUES (?, ?, ?, ?, ?, ?)",
      [this.at, kind, id, action, JSON.stringify(detail), this.o.operator],
    );
  }

  private now(): string {
    return this.o.now ? this.o.now() : new Date().toISOString();
  }

  private rows(sql: string, params: SqlValue[]): SqlValue[][] {
    const r = this.db.exec(sql, params);
    return r.length === 0 ? [] : r[0].values;
  }

  /** Runs the migrations not yet applied; true when any ran. */
  private migrate(): boolean {
    const from = this.version();
    if (from > MIGRATIONS.length)
      throw new LabError(
        "register-unreadable",
        `register schema ${from} is newer than this tool's (${MIGRATIONS.length})`,
      );
    for (let v = from; v < MIGRATIONS.length; v++) {
      this.db.exec("BEGIN");
      this.db.exec(MIGRATIONS[v]);
      this.db.exec(`PRAGMA user_version = ${v + 1}`);
      this.db.exec("COMMIT");
    }
    return from < MIGRATIONS.length;
  }

  private save(): void {
    const tmp = this.path + ".tmp";
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, this.db.export());
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

export function hexId(id: number): string {
  return "0x" + id.toString(16).padStart(8, "0");
}

function checkId(id: number): void {
  if (!(Number.isInteger(id) && id >= 1 && id <= 0xffffffff))
    throw new LabError("usage", "a device id is 1 … 0xffffffff");
}

function toRecord(r: SqlValue[]): DeviceRecord {
  const s = (v: SqlValue) => (v === null ? null : String(v));
  return {
    kind: r[0] as DeviceKind,
    id: Number(r[1]),
    firmware: String(r[2]),
    keyVersion: Number(r[3]),
    state: r[4] as DeviceState,
    caseRef: s(r[5]),
    issuedAt: s(r[6]),
    issueCondition: s(r[7]) as Condition | null,
    returnedAt: s(r[8]),
    returnCondition: s(r[9]) as Condition | null,
    pairedWith: r[10] === null ? null : Number(r[10]),
  };
}
