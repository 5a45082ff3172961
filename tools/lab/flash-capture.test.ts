// `lab flash` against a capture from the real interpreter (fixtures/flash-puck.transcript,
// recorded by fixtures/record-flash.ts from espruino-puck over a pty): the device's side is
// replayed as it answered, and the lab must send exactly the bytes the real device received.
// Runs in npm test with nothing but Node; a change to the upload protocol shows here as a diff
// against what a real Espruino accepted.

import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { SerialPortMock } from "serialport";
import { afterEach, describe, expect, it } from "vitest";
import { flashOver } from "./espruino";
import { capturePayload, FIXTURE } from "./fixtures/record-flash";

const MockBinding = SerialPortMock.binding;
afterEach(() => MockBinding.reset());

interface Entry {
  dir: ">" | "<";
  text: string;
}

function capture(): Entry[] {
  return readFileSync(FIXTURE, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => ({ dir: l[0] as ">" | "<", text: JSON.parse(l.slice(2)) as string }));
}

/** A port whose device says what the captured device said, once the host has sent what the
 * captured host had sent before it. */
async function replay(entries: Entry[]): Promise<{ port: SerialPortMock; sent: () => string }> {
  MockBinding.createPort("/dev/em-capture", { echo: false, record: true });
  const port = new SerialPortMock({ path: "/dev/em-capture", baudRate: 115200 });
  await new Promise<void>((r) => port.on("open", () => r()));
  const binding = port.port!;
  let sentLen = 0;
  let next = 0;
  let expected = 0; // bytes the captured host had sent before entries[next]
  const pump = () => {
    while (next < entries.length) {
      const e = entries[next];
      if (e.dir === ">") {
        if (sentLen < expected + e.text.length) return;
        expected += e.text.length;
      } else {
        const text = e.text;
        setImmediate(() => binding.emitData(Buffer.from(text, "latin1")));
      }
      next++;
    }
  };
  const write = binding.write.bind(binding);
  binding.write = async (buf: Buffer) => {
    await write(buf);
    sentLen += buf.length;
    pump();
  };
  pump();
  return { port, sent: () => binding.recording.toString("latin1") };
}

describe("lab flash against a capture from espruino-puck", () => {
  it("sends exactly what the real interpreter received, and verifies", async () => {
    const entries = capture();
    const { port, sent } = await replay(entries);
    const data = capturePayload();
    const r = await flashOver(port, data, { name: "cap.js", baudRate: 10_000_000 });
    const hostSide = entries
      .filter((e) => e.dir === ">")
      .map((e) => e.text)
      .join("");
    expect(sent()).toBe(hostSide);
    expect(r.crc).toBe(crc32(Buffer.from(data, "latin1")) >>> 0);
    expect(r.device).toMatchObject({ board: "LINUX_PUCKLIKE", version: "2v29.277" });
    expect(r.chunks).toBe(2); // a Puck.js-sized pool: 1 KB lines
  });
});
