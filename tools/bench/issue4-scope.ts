// The home unit's own logic, as issue 4 budgeted it: base.js without the GSM uplink
// (firmware/base/modem, mqtt, uplink, net). Built from the real entry, base-main.ts, with the app
// booted by bootBase on the transport a unit without a network record gets, in place of
// assembleHomeUnit (which builds the uplink); so the figure follows the entry, and a change of
// the entry's shape is an error here, not a silently wrong figure.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { BUNDLES } from "../build/build-firmware";
import { compileBundle } from "../build/firmware-build";

export const ISSUE4_BUDGET = 32 * 1024;

/** base-main.ts's source with the uplink taken out; throws if the entry changed shape. */
export function withoutUplink(entry: string): string {
  const src = readFileSync(entry, "utf8").replace(
    /from "(\.[^"]+)"/g,
    (_m, rel: string) => 'from "' + resolve(dirname(entry), rel) + '"',
  );
  const importLine = /^import \{ assembleHomeUnit \} from "([^"]+)assemble-home-unit";$/m;
  const call = /^ {2}assembleHomeUnit\(hal, [^\n]*, null, (espruinoBootReason\(\)), log\);$/m;
  if (!importLine.test(src) || !call.test(src))
    throw new Error("bench: base-main.ts changed shape; update withoutUplink()");
  return src
    .replace(importLine, 'import { bootBase } from "$1base-app";')
    .replace(
      call,
      "  bootBase(hal, { ready: () => false, send: (_e, done) => done(false) }, $1, log);",
    );
}

export interface ScopeSize {
  rawBytes: number;
  minifiedBytes: number;
  gzipBytes: number;
  /** The minified code, to check what it holds. */
  min: string;
}

export async function issue4Scope(root: string): Promise<ScopeSize> {
  const spec = BUNDLES.find((b) => b.name === "base");
  if (!spec) throw new Error("bench: no base bundle in BUNDLES");
  // Inside the repository, so the entry resolves the protocol package as the real one does.
  mkdirSync(join(root, "dist"), { recursive: true }); // a fresh clone has none yet
  const dir = mkdtempSync(join(root, "dist", "base-scope-"));
  try {
    const entry = join(dir, "base-scope-main.ts");
    writeFileSync(entry, withoutUplink(join(root, spec.entry)));
    const built = await compileBundle(entry, undefined, spec.stripMessages === true);
    return {
      rawBytes: Buffer.byteLength(built.readable),
      minifiedBytes: Buffer.byteLength(built.min),
      gzipBytes: gzipSync(built.min, { level: 9 }).length,
      min: built.min,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
