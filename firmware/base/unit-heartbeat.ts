// The heartbeat (SPEC §9 0x2A): the unit's and the tag's state every heartbeat interval (and on
// request_status), with the beacons accepted and their mean RSSI since the last one.
//
// Device code (DEVICE-JS subset).

import { EventCode, type HeartbeatData } from "@em-platform/protocol/core/events";
import { unitEvent } from "./presence/presence-event";
import { FIRMWARE_VERSION, type UnitCore, unitUtc } from "./unit-core";
import { report } from "./unit-events";

export function heartbeat(u: UnitCore): void {
  const p = u.presence;
  const c = p.acceptor.counts;
  const accepted = c.accepted - u.lastAccepted;
  const rssiSum = c.rssiSum - u.lastRssiSum;
  u.lastAccepted = c.accepted;
  u.lastRssiSum = c.rssiSum;
  const status = u.health.status();
  const data: HeartbeatData = {
    1: p.tracker.state(),
    3: status.batteryMv,
    4: status.mainsOn ? 1 : 0,
    5: accepted,
    7: u.queue.stats().pending,
    8: FIRMWARE_VERSION,
    9: u.transport.signal ? u.transport.signal() : 99,
  };
  const tagMv = p.tag.lastBatteryMv();
  if (tagMv !== null) data[2] = tagMv;
  if (accepted > 0) data[6] = Math.round(rssiSum / accepted);
  if (p.tag.lastFlags() >= 0) data[10] = p.tag.lastFlags();
  const tag = u.pairing ? u.pairing.tagId : 0;
  report(u, unitEvent(EventCode.heartbeat, unitUtc(u), tag, data));
}
