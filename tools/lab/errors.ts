// The lab command's failures: each has a stable code (what scripts and the HIL suite test for)
// and an exit status (what `npm run lab` returns). tools/README.md lists them.

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  "no-such-port": 3,
  "port-busy": 4,
  "no-answer": 5,
  "not-espruino": 6,
  "out-of-storage": 7,
  "upload-interrupted": 8,
  "verify-failed": 9,
  "not-in-register": 10,
  refused: 11,
  "register-unreadable": 12,
  "no-bluetooth": 13,
  "wrong-board": 14,
  locked: 15,
} as const;

export type LabErrorCode = Exclude<keyof typeof EXIT, "ok">;

export class LabError extends Error {
  constructor(
    readonly code: LabErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "LabError";
  }

  get exitCode(): number {
    return EXIT[this.code];
  }
}
