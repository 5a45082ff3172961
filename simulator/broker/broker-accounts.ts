// Who may use the broker, and for what (SPEC §13, "Broker accounts"). Without accounts anyone
// who reaches the broker can read every unit's downlinks (tag-command frames included) and take
// a unit's client id, disconnecting it. With them: every client logs in, its client id is its
// user name (so nobody takes another's session), a unit publishes only its own `up` and
// `status` and subscribes only its own `down`; centre accounts (receiver, SMS gateway,
// operators' tools) may use every topic. The same rules drive the embedded broker (aedes hooks)
// and Mosquitto (a password file and an ACL file); brokers in production enforce them with
// their own tools.

import { createHmac, timingSafeEqual } from "node:crypto";
import {
  downlinkTopic,
  statusTopic,
  unitIdText,
  uplinkTopic,
} from "@em-platform/protocol/core/topics";

export interface BrokerAccounts {
  /** Unit accounts: user name = the unit id as in the topics (8 hex digits) → password. */
  units: Map<string, string>;
  /** Centre accounts: user name → password. */
  centre: Map<string, string>;
}

/** A unit's broker password as the simulator provisions it (em.net key 8): derived from a
 * broker secret of the deployment, never from the fleet root that derives the device keys. */
export function unitBrokerPassword(brokerSecret: Uint8Array, unitId: number): string {
  return createHmac("sha256", brokerSecret)
    .update("em-broker-password/" + unitIdText(unitId))
    .digest("base64url")
    .slice(0, 24);
}

/** Accounts for these units (passwords from `brokerSecret`) and one centre account. */
export function fleetAccounts(
  brokerSecret: Uint8Array,
  unitIds: number[],
  centre: { username: string; password: string },
): BrokerAccounts {
  const units = new Map<string, string>();
  for (const id of unitIds) units.set(unitIdText(id), unitBrokerPassword(brokerSecret, id));
  return { units: units, centre: new Map([[centre.username, centre.password]]) };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Why a CONNECT is refused, or null when it may log in. */
export function connectRefusal(
  a: BrokerAccounts,
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
): string | null {
  if (username === undefined || password === undefined) return "no credentials";
  const expected = a.units.get(username) ?? a.centre.get(username);
  if (expected === undefined || !same(expected, password.toString("utf8")))
    return "bad user name or password";
  if (clientId !== username) return "client id must be the user name";
  return null;
}

function isUnit(a: BrokerAccounts, username: string): boolean {
  return a.units.has(username);
}

/** A unit publishes its own uplinks and status only; a centre account anything. */
export function mayPublish(a: BrokerAccounts, username: string, topic: string): boolean {
  if (a.centre.has(username)) return true;
  if (!isUnit(a, username)) return false;
  const id = Number.parseInt(username, 16);
  return topic === uplinkTopic(id) || topic === statusTopic(id);
}

/** A unit subscribes to its own downlinks only (exactly, no wildcards); a centre account
 * anything. */
export function maySubscribe(a: BrokerAccounts, username: string, filter: string): boolean {
  if (a.centre.has(username)) return true;
  if (!isUnit(a, username)) return false;
  return filter === downlinkTopic(Number.parseInt(username, 16));
}
