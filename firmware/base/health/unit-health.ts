// The home unit watching itself (REQUIREMENTS: "technical cause or violation?", and the subject
// must not obstruct the devices): mains power, its own battery, its case switch and its motion
// sensor. Pure state machine: inputs arrive as calls with monotonic ms and UTC seconds.

import { EventCode, UnitTamperKind } from "@em-platform/protocol/core/events";
import { type EventSink, unitEvent, wholeSeconds } from "../presence/presence-event";

/** Moved and unplugged within this span is one incident, escalated (peers use 2 minutes). */
export const MOVED_UNPLUGGED_WINDOW_MS = 120000;
/**
 * Unit battery (a 1-cell Li-ion backup): low below 3,550 mV ≈ 10 % left, which at the unit's
 * ~25 mA on battery (BLE scanning + modem idle) is still ≈ 4–6 hours: time for the centre to
 * call. Cleared above 3,700 mV so a sagging cell under modem bursts does not flap.
 */
export const UNIT_BATTERY_LOW_MV = 3550;
export const UNIT_BATTERY_OK_MV = 3700;

export class UnitHealth {
  private readonly sink: EventSink;
  private mainsOn = true;
  private mainsLostMs = -1;
  private batteryLow = false;
  private batteryMv = 0;
  private caseOpen = false;
  private movedMs = -1;
  private escalated = false;

  constructor(sink: EventSink) {
    this.sink = sink;
  }

  mains(on: boolean, nowMs: number, utcS: number): void {
    if (on === this.mainsOn) return;
    this.mainsOn = on;
    if (!on) {
      this.mainsLostMs = nowMs;
      this.sink(unitEvent(EventCode.mainsLost, utcS, 0, { 1: this.batteryMv }));
      this.checkEscalation(nowMs, utcS);
    } else {
      const outage = this.mainsLostMs < 0 ? 0 : wholeSeconds(nowMs - this.mainsLostMs);
      this.mainsLostMs = -1;
      this.sink(unitEvent(EventCode.mainsRestored, utcS, 0, { 1: outage }));
    }
  }

  battery(mv: number, utcS: number): void {
    this.batteryMv = mv;
    if (!this.batteryLow && mv < UNIT_BATTERY_LOW_MV) {
      this.batteryLow = true;
      this.sink(unitEvent(EventCode.unitBatteryLow, utcS, 0, { 1: mv }));
    } else if (this.batteryLow && mv > UNIT_BATTERY_OK_MV) this.batteryLow = false;
  }

  caseSwitch(open: boolean, utcS: number): void {
    if (open === this.caseOpen) return;
    this.caseOpen = open;
    this.sink(
      unitEvent(open ? EventCode.unitTamper : EventCode.unitTamperCleared, utcS, 0, {
        1: UnitTamperKind.caseOpen,
      }),
    );
  }

  /**
   * The motion/tilt sensor fired. Reported at once (an alarm is never held back); if the unit is
   * also unplugged within 2 minutes either side, one more event upgrades the incident to
   * "moved and unplugged", once per incident.
   */
  moved(nowMs: number, utcS: number): void {
    const fresh = this.movedMs < 0 || nowMs - this.movedMs > MOVED_UNPLUGGED_WINDOW_MS;
    this.movedMs = nowMs;
    if (fresh) {
      this.escalated = false;
      this.sink(unitEvent(EventCode.unitTamper, utcS, 0, { 1: UnitTamperKind.moved }));
    }
    this.checkEscalation(nowMs, utcS);
  }

  private checkEscalation(nowMs: number, utcS: number): void {
    if (this.escalated || this.movedMs < 0 || this.mainsLostMs < 0) return;
    const gap = nowMs - this.movedMs;
    const apart = gap < 0 ? -gap : gap;
    const sinceLoss = nowMs - this.mainsLostMs;
    if (apart <= MOVED_UNPLUGGED_WINDOW_MS && sinceLoss <= MOVED_UNPLUGGED_WINDOW_MS) {
      this.escalated = true;
      this.sink(unitEvent(EventCode.unitTamper, utcS, 0, { 1: UnitTamperKind.movedAndUnplugged }));
    }
  }

  status(): { mainsOn: boolean; batteryMv: number; caseOpen: boolean } {
    return { mainsOn: this.mainsOn, batteryMv: this.batteryMv, caseOpen: this.caseOpen };
  }
}
