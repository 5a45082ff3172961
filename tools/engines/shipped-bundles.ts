// The device bundles exactly as `npm run build:firmware` ships them (its BUNDLES table), built
// into a folder of the caller's, so an engine test measures the source it runs with.

import { join, resolve } from "node:path";
import { BUNDLES } from "../build/build-firmware";
import { buildBundle } from "../build/firmware-build";

const root = resolve(import.meta.dirname, "..", "..");

/** Builds one shipped bundle ("tag", "base", "selftest") into `dir`; returns its path. */
export async function buildShipped(name: string, dir: string): Promise<string> {
  const b = BUNDLES.find((x) => x.name === name);
  if (b === undefined) throw new Error("no shipped bundle named " + name);
  const outFile = join(dir, name + ".js");
  await buildBundle({ ...b, entry: join(root, b.entry), outFile });
  return outFile;
}
