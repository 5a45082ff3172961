// The published package as a backend team gets it: installed into a project of its own, used from
// plain Node (no TypeScript, no bundler) and type-checked by a strict TypeScript project that
// resolves modules as Node does. It must judge every golden vector as the repository does.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPackage } from "./build-package";

const work = mkdtempSync(join(tmpdir(), "em-protocol-package-"));
const built = join(work, "package");
const consumer = join(work, "consumer");
const spec = readFileSync(new URL("../SPEC.md", import.meta.url), "utf8");
let pkg: { name: string; version: string };

beforeAll(() => {
  pkg = buildPackage(built);
  const scope = join(consumer, "node_modules", "@em-platform");
  mkdirSync(scope, { recursive: true });
  symlinkSync(built, join(scope, "protocol"), "dir");
  writeFileSync(join(consumer, "package.json"), '{ "type": "module", "private": true }\n');
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

// Every receiver's verdict on every vector file, in the consumer's own process.
const JUDGE_ALL = `
import { fromHex } from "@em-platform/protocol/core";
import { openUplinkHost, FleetKeyring } from "@em-platform/protocol/host";
import { coreVerdict } from "@em-platform/protocol/vectors/receiver";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const req = createRequire(import.meta.url);
const load = (f) => JSON.parse(readFileSync(req.resolve("@em-platform/protocol/vectors/" + f), "utf8"));
const root = fromHex(load("keys.json").root);
const counts = {};
const judge = (file, kind, v, receiver, expected) => {
  const got = coreVerdict({ kind, hex: v.hex, text: v.text }, receiver, root);
  if (got !== expected) throw new Error(file + ": " + (v.name ?? v.hex) + ": " + got + " != " + expected);
  counts[file] = (counts[file] ?? 0) + 1;
};
const b = load("beacon.json");
for (const v of b.vectors) judge("beacon", "beacon", v, { ...b.receiver, companyId: v.companyId }, "ok");
const t = load("tag-command.json");
for (const v of t.vectors) judge("tag-command", "tagCommand", v, t.receiver, "ok");
for (const v of load("downlink.json").vectors) judge("downlink", "downlink", v, v.receiver, "ok");
const s = load("sms.json");
for (const v of s.vectors) judge("sms", "sms", v, s.receiver, "ok");
for (const v of load("invalid.json").vectors) judge("invalid", v.kind, v, v.receiver, v.error);
const ring = FleetKeyring.fromRoot(root, [1, 2]);
for (const v of load("uplink.json").vectors) {
  const r = openUplinkHost(fromHex(v.hex), ring.lookup);
  if (!r.ok || r.value.uplink.unitId !== v.uplink.unitId) throw new Error("uplink " + v.hex);
  counts.uplink = (counts.uplink ?? 0) + 1;
}
console.log(JSON.stringify(counts));
`;

// Compiles only if the declarations are real: the @ts-expect-error lines fail when a type is any.
const TYPED = `
import { decodeCbor, ErrorCode, type Result } from "@em-platform/protocol/core";
import { FleetKeyring, UplinkAcceptor } from "@em-platform/protocol/host";
import { coreVerdict, type VectorReceiver } from "@em-platform/protocol/vectors/receiver";
import { toHex } from "@em-platform/protocol/core/bytes";

const r: Result<unknown> = decodeCbor(new Uint8Array([0xa0]));
const code: string = ErrorCode.badMac;
const at: VectorReceiver = { role: "unit", keyVersions: [1] };
const verdict: string = coreVerdict({ kind: "beacon", hex: "00" }, at, new Uint8Array(32));
const acceptor = new UplinkAcceptor(FleetKeyring.fromRoot(new Uint8Array(32), [1]).lookup);
// @ts-expect-error a hex string is not bytes
toHex("00");
// @ts-expect-error no such receiver role
const wrong: VectorReceiver = { role: "phone", keyVersions: [] };
export { r, code, verdict, acceptor, wrong };
`;

describe("the published protocol package", () => {
  it("is versioned with the spec: its version is SPEC.md's revision", () => {
    const revision = /^# .*\(revision (\d+)\.(\d+)\)$/m.exec(spec);
    expect(revision, "SPEC.md states its revision").not.toBeNull();
    expect(pkg.version.split(".").slice(0, 2)).toEqual([revision?.[1], revision?.[2]]);
  });

  it("plain Node judges every vector file through the package as the repository does", () => {
    writeFileSync(join(consumer, "judge.mjs"), JUDGE_ALL);
    const out = execFileSync(process.execPath, ["judge.mjs"], { cwd: consumer, encoding: "utf8" });
    const counts = JSON.parse(out) as Record<string, number>;
    const inRepo = (f: string) =>
      JSON.parse(readFileSync(new URL(`../vectors/${f}.json`, import.meta.url), "utf8")).vectors
        .length;
    for (const f of ["beacon", "tag-command", "downlink", "sms", "invalid", "uplink"]) {
      expect(counts[f], f).toBe(inRepo(f));
    }
  });

  it("type-checks in a strict TypeScript project that resolves modules as Node does", () => {
    writeFileSync(join(consumer, "typed.ts"), TYPED);
    const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript")), "tsc.js");
    const args = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext"];
    const run = () =>
      execFileSync(process.execPath, [tsc, ...args, "--types", "node", "typed.ts"], {
        cwd: consumer,
        encoding: "utf8",
        env: { ...process.env, NODE_PATH: "" },
      });
    mkdirSync(join(consumer, "node_modules", "@types"), { recursive: true });
    symlinkSync(
      dirname(createRequire(import.meta.url).resolve("@types/node/package.json")),
      join(consumer, "node_modules", "@types", "node"),
      "dir",
    );
    expect(run).not.toThrow();
  }, 120_000);

  it("ships the vectors, SPEC.md and declarations, and no TypeScript sources or tests", () => {
    const out = execFileSync("npm", ["pack", "--dry-run", "--json"], {
      cwd: built,
      encoding: "utf8",
    });
    const files = (JSON.parse(out)[0].files as { path: string }[]).map((f) => f.path);
    expect(files).toContain("SPEC.md");
    expect(files).toContain("vectors/invalid.json");
    expect(files).toContain("src/host/index.d.ts");
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => f.includes(".test."))).toEqual([]);
  });
});
