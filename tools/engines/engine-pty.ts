// An engine's console behind a pseudo-terminal (socat), as a board's USB console: the virtual
// bench's serial path for `lab flash`, `lab provision` and the lab benchmark.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";

/** socat: a pty at <dir>/tty whose other end is `exec` (run in `dir`). */
export interface PtyLink {
  tty: string;
  child: ChildProcess;
  dir: string;
}

export async function ptyTo(dir: string, exec: string): Promise<PtyLink> {
  const tty = join(dir, "tty");
  rmSync(tty, { force: true });
  // Its own process group: stopping it must also stop the engine socat runs, which otherwise
  // lives on, orphaned, spinning on a closed pty.
  const child = spawn("socat", [`pty,raw,echo=0,link=${tty}`, exec], {
    cwd: dir,
    stdio: "ignore",
    detached: true,
  });
  for (let i = 0; i < 100 && !existsSync(tty); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(tty)) throw new Error("socat made no pty");
  await new Promise((r) => setTimeout(r, 300)); // the engine's start-up
  return { tty, child, dir };
}

/** Kills every process whose working directory is under `dir`: the engine socat started there
 * (socat gives it a session of its own, so signalling socat's group does not reach it). */
export function killEnginesIn(dir: string): void {
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let cwd = "";
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      continue; // gone, or not ours to read
    }
    if (cwd.startsWith(dir))
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone already
      }
  }
}

/** Kills socat and the engine behind it (the whole process group); `signal` SIGKILL pulls the
 * cable, SIGTERM ends the session. */
export function stop(link: PtyLink, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const child = link.child;
  return new Promise<void>((res) => {
    const group = child.pid;
    const done = child.exitCode !== null || child.signalCode !== null;
    if (!done) child.once("exit", () => res());
    try {
      if (group !== undefined) process.kill(-group, signal);
    } catch {
      // the group is gone already
    }
    if (done) res();
  }).then(() => killEnginesIn(link.dir));
}

/** Lab exit codes that mean the link was lost (upload-interrupted, no-such-port). */
const LINK_LOST = [8, 3];

/**
 * Runs `command` against a fresh pty to `engine` in `dir` (its flash persists), power-cycling the
 * engine and running it again when the link was lost. The Linux engine's console sometimes trips
 * its `ASSERT(len <= 64)` (jsdevices.c) and exits when a scheduling delay lets more than 64
 * input bytes pile up — a real UART delivers bytes one by one; `lab flash` and `lab provision`
 * leave every target untouched until its copy verified, so running them again is safe, and an
 * upload resumes where the last attempt stopped. The trip is a race in the engine's input
 * buffer, so its odds grow with the bytes sent: a 94 KB home-unit bundle was cut in half of
 * the attempts on this machine, and in one CI run all five attempts died within the first 10 of
 * 47 chunks (a failed attempt costs ~1.5 s), hence ten attempts, each sending only what is left.
 */
export async function onEngineConsole(
  dir: string,
  enginePath: string,
  command: (tty: string, attempt: number) => Promise<number>,
  attempts = 10,
): Promise<number> {
  let code = -1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const link = await ptyTo(dir, `EXEC:${enginePath},pty,raw,echo=0`);
    try {
      code = await command(link.tty, attempt);
    } finally {
      await stop(link);
    }
    if (!LINK_LOST.includes(code)) return code;
  }
  return code;
}
