// The serial link when the far side dies mid-write: a write that never drains (a pulled cable,
// a killed pty) ends as upload-interrupted within the write timeout, and a port that closes
// while a write waits ends it at once — never a hang.

import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { closePort, Link, type PortLike } from "./link";

/** A port whose writes never complete. */
function stuckPort(): PortLike & EventEmitter {
  const e = new EventEmitter() as PortLike & EventEmitter;
  Object.assign(e, {
    isOpen: true,
    write: () => true,
    drain: () => {},
    close: (cb: () => void) => cb(),
  });
  return e;
}

describe("link", () => {
  it("a write that never drains is upload-interrupted after the write timeout", async () => {
    const link = new Link(stuckPort(), { writeTimeoutMs: 100 });
    const t0 = Date.now();
    await expect(link.send("hello\n")).rejects.toMatchObject({
      code: "upload-interrupted",
      message: expect.stringContaining("no progress within 100 ms"),
    });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("the port closing while a write waits ends it at once", async () => {
    const port = stuckPort();
    const link = new Link(port, { writeTimeoutMs: 60_000 });
    const sending = link.send("hello\n");
    setTimeout(() => port.emit("close"), 20);
    await expect(sending).rejects.toMatchObject({
      code: "upload-interrupted",
      message: expect.stringContaining("the port closed"),
    });
  });

  it("closing a port that never says it closed still ends", async () => {
    const t0 = Date.now();
    await closePort({ isOpen: true, close: () => {} });
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
