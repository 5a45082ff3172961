// Opens an HTML page in a real headless browser (Debian's Chromium) and says what a person would
// see: whether the page said anything on its console (a script error, a blocked fetch — the
// report has no script and fetches nothing, so any message is a fault), and a screenshot, read
// back to tell a rendered page from a blank one. Without Chromium: null, and the caller says so.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { inkOf, readPng } from "./png-pixels";

export interface BrowserView {
  /** What the page wrote to its console, one line each. */
  console: string[];
  width: number;
  height: number;
  /** Share of the screenshot's pixels that are not white. */
  inked: number;
  /** Distinct colours in the screenshot (counted up to 1,000). */
  colours: number;
}

/** Chromium's path (CHROMIUM, or Debian's), or null when there is none. */
export function findChromium(): string | null {
  for (const c of [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"])
    if (c !== undefined && c !== "" && existsSync(c)) return c;
  return null;
}

// Headless, as root, on a machine with no network: without the background-networking flags
// Chromium keeps trying Google's hosts.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--hide-scrollbars",
  "--enable-logging=stderr",
  "--v=0",
];

export async function viewInBrowser(
  chromium: string,
  htmlFile: string,
  size = { width: 1280, height: 1600 },
  timeoutMs = 60_000,
): Promise<BrowserView> {
  const dir = mkdtempSync(join(tmpdir(), "em-browser-"));
  const shot = join(dir, "page.png");
  try {
    const stderr = await new Promise<string>((resolve, reject) => {
      const p = spawn(chromium, [
        ...FLAGS,
        `--user-data-dir=${join(dir, "profile")}`,
        `--window-size=${size.width},${size.height}`,
        `--screenshot=${shot}`,
        pathToFileURL(htmlFile).href,
      ]);
      let err = "";
      p.stderr.on("data", (b: Buffer) => {
        err += b.toString();
      });
      p.stdout.resume();
      const timer = setTimeout(() => {
        p.kill("SIGKILL");
        reject(new Error(`Chromium did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      p.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      p.on("close", (code) => {
        clearTimeout(timer);
        if (code === 0 && existsSync(shot)) resolve(err);
        else
          reject(new Error(`Chromium exited ${code} without a screenshot:\n${err.slice(-2000)}`));
      });
    });
    const console = stderr
      .split("\n")
      .filter((l) => l.includes(":CONSOLE"))
      .map((l) => l.replace(/^\[[^\]]*\]\s*/, ""));
    const px = readPng(readFileSync(shot));
    return { console, width: px.width, height: px.height, ...inkOf(px) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
