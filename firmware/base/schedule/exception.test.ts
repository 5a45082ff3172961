import { decodeCbor, encodeCbor } from "@em-platform/protocol/core/cbor";
import { ErrorCode } from "@em-platform/protocol/core/errors";
import { describe, expect, it } from "vitest";
import {
  activeException,
  addException,
  decodeException,
  ExceptionKind,
  ExceptionRejection,
  encodeException,
  MAX_EXCEPTIONS,
  pruneExceptions,
  removeException,
  type ScheduleException,
} from "./exception";

const NOW = 1750000000;
const H = 3600;

function ex(
  id: number,
  start: number,
  end: number,
  kind: number = ExceptionKind.awayPermitted,
  approved = false,
): ScheduleException {
  return { id: id, start: start, end: end, kind: kind, approved: approved };
}

describe("add_exception args (SPEC §10)", () => {
  it("round-trip through CBOR; approved defaults to false", () => {
    const e = ex(9, NOW, NOW + H, ExceptionKind.mustBeHome, true);
    const back = decodeCbor(encodeCbor(encodeException(e)));
    expect(back.ok && decodeException(back.value)).toEqual({ ok: true, value: e });
    const d = decodeException({ 1: 1, 2: NOW, 3: NOW + 60, 4: 1 });
    expect(d.ok && d.value.approved).toBe(false);
  });

  it("rejects a wrong shape as malformed", () => {
    for (const v of [
      [1, 2, 3],
      { 1: 1, 2: NOW, 3: NOW + 60, 4: 1, 6: 0 },
      { 1: 1, 2: NOW, 4: 1 },
      { 1: 1, 2: NOW, 3: NOW + 60, 4: 1, 5: 1 },
      { 1: -1, 2: NOW, 3: NOW + 60, 4: 1 },
    ]) {
      const d = decodeException(v as never);
      expect(d.ok === false && [d.code, d.reason]).toEqual([
        ErrorCode.badStructure,
        ExceptionRejection.malformed,
      ]);
    }
  });
});

describe("addException rules", () => {
  it("up to 2 h without approval is accepted; 2 h + 1 s is rejected as too long", () => {
    const list: ScheduleException[] = [];
    expect(addException(list, ex(1, NOW, NOW + 2 * H), NOW).ok).toBe(true);
    const r = addException(list, ex(2, NOW + 3 * H, NOW + 5 * H + 1), NOW);
    expect(r.ok === false && r.reason).toBe(ExceptionRejection.tooLong);
    expect(list.length).toBe(1);
  });

  it("longer than 2 h is accepted when supervisor-approved", () => {
    const list: ScheduleException[] = [];
    const r = addException(list, ex(1, NOW, NOW + 10 * H, ExceptionKind.mustBeHome, true), NOW);
    expect(r.ok).toBe(true);
  });

  it("even approved, at most 7 days: 7 days is accepted, 7 days + 1 s rejected as too long", () => {
    const list: ScheduleException[] = [];
    const week = 7 * 24 * H;
    const away = ExceptionKind.awayPermitted;
    expect(addException(list, ex(1, NOW, NOW + week, away, true), NOW).ok).toBe(true);
    const r = addException(list, ex(2, NOW + week, NOW + 2 * week + 1, away, true), NOW);
    expect(r.ok === false && r.reason).toBe(ExceptionRejection.tooLong);
    expect(list.length).toBe(1);
  });

  it("an exception that already ended is rejected as expired; one that began is fine", () => {
    const list: ScheduleException[] = [];
    const r = addException(list, ex(1, NOW - H, NOW), NOW);
    expect(r.ok === false && [r.code, r.reason]).toEqual([
      ErrorCode.expired,
      ExceptionRejection.expired,
    ]);
    expect(addException(list, ex(1, NOW - H, NOW + 1), NOW).ok).toBe(true);
  });

  it("end not after start, or a kind other than 1/2, is malformed", () => {
    const list: ScheduleException[] = [];
    for (const e of [ex(1, NOW + H, NOW + H), ex(1, NOW, NOW + H, 3)]) {
      const r = addException(list, e, NOW);
      expect(r.ok === false && r.reason).toBe(ExceptionRejection.malformed);
    }
  });

  it("overlap with another live exception is rejected; the same id replaces", () => {
    const list: ScheduleException[] = [];
    addException(list, ex(1, NOW, NOW + H), NOW);
    const r = addException(list, ex(2, NOW + H - 1, NOW + 2 * H), NOW);
    expect(r.ok === false && r.reason).toBe(ExceptionRejection.overlap);
    // Adjacent is fine.
    expect(addException(list, ex(2, NOW + H, NOW + 2 * H), NOW).ok).toBe(true);
    // Re-adding id 1 moves it; it may overlap its own old interval.
    expect(addException(list, ex(1, NOW + 30 * 60, NOW + H), NOW).ok).toBe(true);
    expect(list.map((e) => [e.id, e.start])).toEqual([
      [1, NOW + 30 * 60],
      [2, NOW + H],
    ]);
  });

  it("holds at most MAX_EXCEPTIONS live exceptions; ended ones make room", () => {
    const list: ScheduleException[] = [];
    for (let i = 0; i < MAX_EXCEPTIONS; i++)
      expect(addException(list, ex(i, NOW + i * H, NOW + i * H + 60), NOW).ok).toBe(true);
    const r = addException(list, ex(99, NOW + 100 * H, NOW + 100 * H + 60), NOW);
    expect(r.ok === false && r.reason).toBe(ExceptionRejection.full);
    // Later, the first one has ended: room again, and the ended one is pruned on the way.
    const later = NOW + 61;
    expect(addException(list, ex(99, NOW + 100 * H, NOW + 100 * H + 60), later).ok).toBe(true);
    expect(list.length).toBe(MAX_EXCEPTIONS);
    expect(list.some((e) => e.id === 0)).toBe(false);
  });
});

describe("expiry, removal, lookup", () => {
  it("pruneExceptions drops exactly those that ended", () => {
    const list = [ex(1, NOW, NOW + 60), ex(2, NOW + 60, NOW + 120), ex(3, NOW, NOW + 61)];
    expect(pruneExceptions(list, NOW + 60)).toBe(1);
    expect(list.map((e) => e.id)).toEqual([2, 3]);
    expect(pruneExceptions(list, NOW + 60)).toBe(0);
    expect(pruneExceptions(list, NOW + 1000)).toBe(2);
    expect(list).toEqual([]);
  });

  it("removeException by id", () => {
    const list = [ex(1, NOW, NOW + 60), ex(2, NOW + 60, NOW + 120)];
    expect(removeException(list, 3)).toBe(false);
    expect(removeException(list, 1)).toBe(true);
    expect(list.map((e) => e.id)).toEqual([2]);
  });

  it("activeException covers [start, end)", () => {
    const list = [ex(1, NOW, NOW + 60)];
    expect(activeException(list, NOW - 1)).toBe(null);
    expect(activeException(list, NOW)).toBe(list[0]);
    expect(activeException(list, NOW + 59)).toBe(list[0]);
    expect(activeException(list, NOW + 60)).toBe(null);
  });
});
