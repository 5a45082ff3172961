// `lab console`: what the terminal types reaches the device, what it says reaches the terminal,
// all of it in the log; with --unlock, a locked unit's console opened first without the
// password ever reaching the log or the screen. Against a scripted Espruino (binding-mock).

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { runConsole } from "./console";
import { MockBinding, mockDevice } from "./testing/mock-espruino";

afterEach(() => MockBinding.reset());

const PASSWORD = "0123456789abcdef0123";

/** A terminal that types `keys` once the console is up, then Ctrl-]. */
function terminal(keys: string) {
  const input = new PassThrough();
  let shown = "";
  const output = {
    write: (b: Buffer | string) => {
      shown += typeof b === "string" ? b : b.toString("latin1");
    },
  };
  setTimeout(() => input.write(Buffer.from(keys + "\x1d", "latin1")), 200);
  return { term: { input, output }, shown: () => shown };
}

describe("lab console", () => {
  it("opens a locked unit's console with its password, then is the terminal's; the password is nowhere shown or logged", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "em-console-")), "c.log");
    const dev = await mockDevice(() => null, "/dev/em-mock", { password: PASSWORD });
    const t = terminal("x\n");
    await runConsole(dev.port, "mock", log, PASSWORD, t.term);
    expect(dev.locked()).toBe(false);
    expect(dev.sent()).toBe(`\n${PASSWORD}\nx\n`);
    expect(t.shown()).toMatch(/password>[\s\S]*Logged in/);
    const logged = readFileSync(log, "latin1");
    expect(logged).toContain("<the unit's console password>");
    expect(logged).toContain('"x\\n"');
    for (const text of [t.shown(), logged]) expect(text).not.toContain(PASSWORD);
  });

  it("types nothing but an empty line into a console that is not locked", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "em-console-")), "c.log");
    const dev = await mockDevice(() => null);
    const t = terminal("y\n");
    await runConsole(dev.port, "mock", log, PASSWORD, t.term);
    expect(dev.sent()).toBe("\ny\n");
  });

  it("with a wrong password the console stays locked, and says so on the terminal", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "em-console-")), "c.log");
    const dev = await mockDevice(() => null, "/dev/em-mock", { password: PASSWORD });
    const t = terminal("");
    await runConsole(dev.port, "mock", log, "ffffffffffffffffffff", t.term);
    expect(dev.locked()).toBe(true);
    expect(t.shown()).toMatch(/Invalid password\r\npassword>[\s\S]*Invalid password/);
  });
});
