// A centre's state on disk, each file replaced whole: written aside and renamed, so a restart
// (or a reader) finds the old file or the new one, never half of either.

import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

export function replaceFile(path: string, text: string): void {
  const tmp = path + ".tmp";
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function writeJsonFile(path: string, value: unknown): void {
  replaceFile(path, JSON.stringify(value));
}

/** The file's JSON, or `absent` when there is no file yet. */
export function readJsonFile<T>(path: string, absent: T): T {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as T) : absent;
}
