// Flashing with retries: an interrupted or unverified upload is tried again on a fresh
// connection, which is safe because each target is untouched until its copy verified
// (espruino.ts). Several files go over one connection: a device whose console sits behind a
// pty (the virtual bench) ends when the port is closed, as a USB console may reset.

import { LabError } from "./errors";
import { type FlashReport, flashFilesOver } from "./espruino";
import { closePort, openSerial, sleep } from "./link";

export interface FlashRetryOptions {
  /** The boards the files are for (FlashOptions.boards). */
  boards?: string[];
  baudRate: number;
  retries: number;
  transcriptFile?: string;
  lineTimeout?: number;
  /** A provisioned unit's console password (SessionOptions.password). */
  password?: string;
  onProgress?: (written: number, total: number) => void;
  onAttemptFailed?: (e: LabError, retriesLeft: number) => void;
}

/** One Storage file: its name and its bytes as a latin1 string. */
export interface StorageFile {
  name: string;
  data: string;
}

/** Flashes one file; see flashFilesWithRetries. */
export async function flashWithRetries(
  path: string,
  data: string,
  o: FlashRetryOptions & { name: string },
): Promise<FlashReport> {
  return (await flashFilesWithRetries(path, [{ name: o.name, data }], o))[0];
}

/**
 * Opens the port and flashes the files in order over that one connection; an interrupted or
 * unverified upload is retried from the first file on a fresh connection.
 */
export async function flashFilesWithRetries(
  path: string,
  files: StorageFile[],
  o: FlashRetryOptions,
): Promise<FlashReport[]> {
  for (let attempt = 0; ; attempt++) {
    const port = await openSerial(path, o.baudRate);
    try {
      return await flashFilesOver(port, files, {
        boards: o.boards,
        baudRate: o.baudRate,
        transcriptFile: o.transcriptFile,
        timeouts: o.lineTimeout === undefined ? {} : { line: o.lineTimeout },
        password: o.password,
        onProgress: o.onProgress,
      });
    } catch (e) {
      const retriable =
        e instanceof LabError && (e.code === "upload-interrupted" || e.code === "verify-failed");
      if (!retriable || attempt >= o.retries) throw e;
      o.onAttemptFailed?.(e, o.retries - attempt);
      await sleep(500);
    } finally {
      await closePort(port);
    }
  }
}
