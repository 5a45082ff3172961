// The device MQTT client built by the real device build (ES5, bundled, property names renamed,
// minified, hoisted, gated) and run in the device realm (run-bundle.ts): one scripted session
// (connect, publish, link drop, DUP resend, keepalive, downlink, a malformed packet) must write
// the same bytes there as the TypeScript does in Node.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkDeviceSubset } from "./device-gate";
import { compileBundle } from "./firmware-build";
import { runBundle } from "./run-bundle";

// The session, written against the imports the entry adds. It is bundled with the modules (the
// build mangles property names, so the scenario must be inside the bundle) and imported by Node
// as it is.
const SCENARIO = `
export function scenario(): string[] {
  const out: string[] = [];
  const vc = new VirtualClock(1700000000000);
  const clock = new FakeClock(vc);
  const link = new ScriptedLink();
  const client = new MqttClient({ link: link, clock: clock, random: () => 0.25,
    host: "h", port: 1883, unitId: 0x2a, keepAliveS: 10 });
  const up = new MqttUplink(client, 0x2a);
  const acks: boolean[] = [];
  client.onDownlink((p: Uint8Array) => { out.push("down " + toHex(p)); });
  client.start();
  link.feed("20020000");
  link.feed("9003000101");
  link.feed("40020002");
  up.send(fromHex("a1b2c3") as Uint8Array, (d: boolean) => { acks.push(d); });
  link.drop();
  vc.advance(client.stats.lastBackoffMs);
  link.feed("20020100");
  link.feed("9003000401");
  link.feed("40020003");
  vc.advance(10000);
  link.feed("d000");
  link.feed("321e0018656d2f76312f756e69742f30303030303032612f646f776e0042beef");
  link.feed("f000");
  out.push("acks " + acks.join(","));
  out.push("state " + client.state() + " failures " + client.stats.failures.join(","));
  for (let i = 0; i < link.written.length; i++) out.push(link.written[i]);
  return out;
}
`;

describe("MQTT modules on a strict ES5 interpreter", () => {
  it("ES5 bundle writes the same bytes in the device realm as in Node", async () => {
    const mqtt = join(import.meta.dirname, "..", "..", "firmware", "base", "mqtt");
    const dir = mkdtempSync(join(tmpdir(), "mqtt-duk-"));
    try {
      const entry = join(dir, "entry.ts");
      const imp = (what: string, from: string) =>
        `import { ${what} } from ${JSON.stringify(join(mqtt, from))};\n`;
      writeFileSync(
        entry,
        imp("VirtualClock", "../../testing/virtual-clock") +
          imp("FakeClock", "../../testing/fake-board") +
          imp("ScriptedLink", "../../testing/scripted-link") +
          imp("MqttClient", "./mqtt-client") +
          imp("MqttUplink", "./mqtt-uplink") +
          imp("toHex, fromHex", "../../../protocol/src/core/bytes") +
          SCENARIO,
      );
      const built = await compileBundle(entry, "M");
      expect(checkDeviceSubset(built.min)).toEqual([]);

      const nodeOut = ((await import(entry)) as { scenario: () => string[] }).scenario();
      expect(nodeOut).toContain("down beef");
      expect(nodeOut).toContain("acks true");
      // The resend after the drop carries DUP (0x3a) and the first packet id; then a PINGREQ,
      // the downlink's PUBACK, and the malformed f0 00 ends in backoff (state 6).
      expect(nodeOut).toContain("3a1d0016656d2f76312f756e69742f30303030303032612f75700003a1b2c3");
      expect(nodeOut.slice(-2)).toEqual(["c000", "40020042"]);
      expect(nodeOut[2]).toBe("state 6 failures 0,0,0,1,1,0,0,0,0");

      const run = runBundle(
        `${built.min}\nvar out = M.scenario();\nfor (var k = 0; k < out.length; k++) print(out[k]);`,
      );
      expect(run.stderr).toBe("");
      expect(run.stdout.trim().split("\n")).toEqual(nodeOut);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
