// The live kit's downlink sessions: what a backend sends, not what it raises. The kit asks the
// backend for commands (a request line on its stdin, backend-contract.ts), listens on the unit's
// downlink topic as the unit would, and opens each envelope as a unit does (SPEC §8 with the
// unit's downlink key, §14's order of checks); then restarts the backend and asks again, because
// a centre that forgets its counters makes every later command look like a replay to the unit
// and refused — or, worse, reopens counters a recorder already holds (§3, "Centre counters
// persist"). Only a backend the kit started can be asked and restarted.

import type { CborMap } from "@em-platform/protocol/core/cbor";
import { CommandCode } from "@em-platform/protocol/core/commands";
import { downlinkTopic } from "@em-platform/protocol/core/topics";
import { openDownlinkHost } from "@em-platform/protocol/host/envelope";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import type { MqttClient } from "mqtt";
import type { SessionResult } from "./live-kit";

/** The backend as the kit controls it. */
export interface BackendControl {
  /** Asks the backend to send `code` with `args` to `unitId`. */
  command(unitId: number, code: number, args: CborMap | null): void;
  /** Stops the backend and starts it again on the same state. */
  restart(): Promise<void>;
}

/** How far a downlink's issuedAt may be from the kit's clock (SPEC §3 flags envelopes > 300 s). */
const CLOCK_SLACK_S = 300;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A unit's downlink topic as the kit listens to it; `ask` asks the backend for a command and
 * opens what arrives as the unit would — its counter, or null with the problem noted. */
export async function downlinkListener(
  client: MqttClient,
  root: Uint8Array,
  unitId: number,
  backend: BackendControl,
  waitMs = 5000,
): Promise<{
  ask(code: number, args: CborMap | null, what: string, problems: string[]): Promise<number | null>;
  close(): Promise<void>;
}> {
  const keys = FleetKeyring.fromRoot(root, [1, 2]);
  const arrived: Uint8Array[] = [];
  const topic = downlinkTopic(unitId);
  const onMessage = (t: string, payload: Buffer) => {
    if (t === topic) arrived.push(new Uint8Array(payload));
  };
  client.on("message", onMessage);
  await client.subscribeAsync(topic, { qos: 1 });
  return {
    ask: async (code, args, what, problems) => {
      const before = arrived.length;
      backend.command(unitId, code, args);
      const end = Date.now() + waitMs;
      while (arrived.length === before && Date.now() < end) await sleep(50);
      if (arrived.length === before) {
        problems.push(`${what}: no downlink on ${topic} within ${waitMs} ms`);
        return null;
      }
      const opened = openDownlinkHost(arrived[before], unitId, keys.lookup);
      if (!opened.ok) {
        problems.push(`${what}: the unit refuses it (${opened.code}: ${opened.message})`);
        return null;
      }
      const d = opened.value.downlink;
      const now = Math.floor(Date.now() / 1000);
      if (d.code !== code) problems.push(`${what}: command code ${d.code}, asked for ${code}`);
      if (Math.abs(d.issuedAt - now) > CLOCK_SLACK_S)
        problems.push(`${what}: issued at ${d.issuedAt}, ${d.issuedAt - now} s off the clock`);
      if (d.expiresAt <= now) problems.push(`${what}: expired on arrival (${d.expiresAt})`);
      return d.counter;
    },
    close: async () => {
      client.off("message", onMessage);
      await client.unsubscribeAsync(topic);
    },
  };
}

export async function runDownlinkSessions(o: {
  client: MqttClient;
  root: Uint8Array;
  unitId: number;
  backend: BackendControl;
}): Promise<SessionResult[]> {
  const down = await downlinkListener(o.client, o.root, o.unitId, o.backend);
  const ask = (problems: string[], what: string) =>
    down.ask(CommandCode.requestStatus, null, what, problems);

  const first: string[] = [];
  const c1 = await ask(first, "the first command");
  const c2 = await ask(first, "the second command");
  if (c1 !== null && c2 !== null && c2 <= c1)
    first.push(`the second command's counter ${c2} is not above the first's ${c1}`);

  const second: string[] = [];
  await o.backend.restart();
  const c3 = await ask(second, "the command after the restart");
  const high = Math.max(c1 ?? 0, c2 ?? 0);
  if (c3 !== null && c3 <= high)
    second.push(
      `counter ${c3} after the restart, ${high} before: the unit refuses it as a replay (§3)`,
    );
  await down.close();
  return [
    {
      name: "downlink",
      clause: "§2, §8, §10",
      rule: "a command the backend sends opens at the unit: its downlink key, its unit id, issued now, not expired, counters rising",
      passed: first.length === 0,
      missing: [],
      unexpected: [],
      problems: first,
    },
    {
      name: "downlink-restart",
      clause: "§3",
      rule: "the downlink counter survives a restart of the backend: the next command is above every one before",
      passed: second.length === 0,
      missing: [],
      unexpected: [],
      problems: second,
    },
  ];
}
