// `lab decode` on every golden vector: the valid ones give their fields and "ok", the invalid
// ones the error code SPEC §14 assigns, each as received by the vectors' tag and unit; without
// the fleet root nothing is called valid.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fromHex } from "@em-platform/protocol/core/bytes";
import { encodeSmsText } from "@em-platform/protocol/core/sms-text";
import { RECEIVERS, ROOT, TAG_ID, UNIT_ID } from "@em-platform/protocol/vectors/cases";
import { toJsonView } from "@em-platform/protocol/vectors/json-view";
import type { VectorReceiver } from "@em-platform/protocol/vectors/receiver";
import { describe, expect, it, vi } from "vitest";
import {
  type DecodeContext,
  decodeFrame,
  describeDecoded,
  frameFromText,
  UNVERIFIED,
} from "./decode";

const dir = join(import.meta.dirname, "..", "..", "protocol", "vectors");
const file = (f: string) => JSON.parse(readFileSync(join(dir, f), "utf8"));
const ctx: DecodeContext = {
  root: ROOT,
  keyVersions: RECEIVERS.uplink.keyVersions,
  companyId: 0xffff,
  tagId: TAG_ID,
  unitId: UNIT_ID,
  now: 1795000000,
};

/** Byte strings as the vector files write them ({"bstr": hex}), for comparing fields. */
function bytesAsView(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? { bstr: Buffer.from(v).toString("hex") } : v;
}

describe("lab decode", () => {
  it("every valid golden vector: its kind, its fields, ok", () => {
    const kinds: [string, string, string][] = [
      ["beacon.json", "beacon", "fields"],
      ["tag-command.json", "tagCommand", "fields"],
      ["uplink.json", "uplink", "uplink"],
      ["downlink.json", "downlink", "downlink"],
    ];
    let n = 0;
    for (const [f, kind, key] of kinds)
      for (const v of file(f).vectors) {
        const d = decodeFrame(fromHex(v.hex)!, {
          ...ctx,
          companyId: v.companyId ?? ctx.companyId,
          now: v.receiver?.now ?? ctx.now,
        });
        expect([d.kind, d.verdict], v.name).toEqual([kind, "ok"]);
        expect(toJsonView(JSON.parse(JSON.stringify(d.fields, bytesAsView))), v.name).toMatchObject(
          JSON.parse(JSON.stringify(v[key])),
        );
        n++;
      }
    expect(n).toBeGreaterThanOrEqual(10);
  });

  it("every invalid golden vector: the code SPEC §14 assigns", () => {
    const cases = file("invalid.json").vectors;
    for (const c of cases) {
      const r: VectorReceiver = c.receiver;
      const envelopeAs =
        c.kind === "sms"
          ? "uplink"
          : c.kind === "tagCommand" || c.kind === "beacon"
            ? null
            : c.kind;
      const at: DecodeContext = {
        ...ctx,
        keyVersions: r.keyVersions,
        companyId: r.companyId ?? ctx.companyId,
        tagId: r.tagId ?? null,
        unitId: r.unitId ?? null,
        now: r.now ?? ctx.now,
        envelopeAs,
      };
      const d = decodeFrame(c.kind === "sms" ? c.text : fromHex(c.hex)!, at);
      // The tool knows a binary frame's kind only from its header: one whose header names the
      // other kind ("type 2 in a beacon") is read as that kind.
      const byHeader = { "1": "beacon", "2": "tagCommand", "3": "beacon" }[
        c.hex?.charAt(1) as "1" | "2" | "3"
      ];
      if ((c.kind === "beacon" || c.kind === "tagCommand") && byHeader !== c.kind) {
        expect(d.kind, c.name).toBe(byHeader);
        continue;
      }
      expect(d.verdict, c.name).toBe(c.error);
      if (d.kind !== "unknown") expect(d.kind, c.name).toBe(c.kind === "sms" ? "uplink" : c.kind);
    }
    expect(cases.length).toBeGreaterThan(20);
  });

  it("hex with spaces, base64 and SMS text are read; without the root nothing is called valid", () => {
    const v = file("uplink.json").vectors[0];
    const bytes = fromHex(v.hex)!;
    expect(frameFromText(v.hex.replace(/(..)/g, "$1 "))).toEqual(bytes);
    expect(frameFromText(Buffer.from(bytes).toString("base64"))).toEqual(bytes);
    const sms = encodeSmsText(bytes);
    expect(decodeFrame(frameFromText(sms)!, ctx).verdict).toBe("ok");
    const blind = decodeFrame(bytes, { ...ctx, root: null });
    expect(blind.verdict).toBe(UNVERIFIED);
    expect(describeDecoded(blind)[0]).toBe("uplink: " + UNVERIFIED);
    expect(frameFromText("not a frame!")).toBeNull();
    // letters that are not base64 of anything: a typo, not a frame of 3 odd bytes
    expect(frameFromText("hello")).toBeNull();
    expect(frameFromText(Buffer.from(bytes).toString("base64url"))).toEqual(bytes);
    // a frame under another fleet's root is forged to this one
    const other = decodeFrame(bytes, { ...ctx, root: new Uint8Array(32).fill(9) });
    expect(other.verdict).toBe("bad_mac");
  });

  it("a freshness challenge (SPEC §5): its tag and nonce; its structure is its verdict", () => {
    const c = decodeFrame(fromHex("1400c0ffeeb7e0")!, ctx);
    expect([c.kind, c.verdict, c.fields]).toEqual([
      "challenge",
      "ok",
      { tagId: 0xc0ffee, nonce: 0xb7e0 },
    ]);
    expect(decodeFrame(fromHex("1400c0ffeeb7e3")!, ctx).verdict).toBe("field_out_of_range");
    expect(decodeFrame(fromHex("1400c0ffeeb7")!, ctx).verdict).toBe("truncated");
  });
});

describe("lab decode, the command", () => {
  async function lab(env: string | undefined, ...args: string[]) {
    const { main } = await import("./main");
    const out: string[] = [];
    const w = (s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    };
    const so = vi.spyOn(process.stdout, "write").mockImplementation(w);
    const se = vi.spyOn(process.stderr, "write").mockImplementation(w);
    const saved = process.env.EM_FLEET_ROOT;
    if (env === undefined) delete process.env.EM_FLEET_ROOT;
    else process.env.EM_FLEET_ROOT = env;
    try {
      return { code: await main(args), out: out.join("") };
    } finally {
      so.mockRestore();
      se.mockRestore();
      if (saved === undefined) delete process.env.EM_FLEET_ROOT;
      else process.env.EM_FLEET_ROOT = saved;
    }
  }
  const rootHex = Buffer.from(ROOT).toString("hex");
  const beacon = file("beacon.json").vectors[0].hex;

  it("exit 0 for a valid frame, 1 for a rejected one, 2 for usage; the root is never printed", async () => {
    const ok = await lab(rootHex, "decode", beacon);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^beacon: ok\n {2}tagId: 12648430/);
    expect(ok.out).not.toContain(rootHex);
    const flipped = beacon.slice(0, -1) + (beacon.endsWith("0") ? "1" : "0");
    expect((await lab(rootHex, "decode", flipped)).code).toBe(1);
    expect((await lab(undefined, "decode", beacon)).out).toContain(UNVERIFIED);
    expect((await lab("abc", "decode", beacon)).code).toBe(2);
    expect((await lab(rootHex, "decode")).code).toBe(2);
    expect((await lab(rootHex, "decode", beacon, "--as", "sideways")).code).toBe(2);
  });
});
