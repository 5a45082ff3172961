// Command catalog (SPEC §10) and the result codes carried by command_ack.

export const CommandCode = {
  setSchedule: 0x01,
  addException: 0x02,
  removeException: 0x03,
  setRangePreset: 0x04,
  setIntervals: 0x05,
  rearmTag: 0x06,
  setTime: 0x07,
  notifySubject: 0x08,
  pairTag: 0x09,
  decommission: 0x0a,
  reboot: 0x0b,
  requestStatus: 0x0c,
  rangeTest: 0x0d,
} as const;

export const AckResult = {
  ok: 0,
  badArguments: 1,
  unsupported: 2,
  invalidSchedule: 3,
  deviceFailure: 4,
  expired: 5,
  notPaired: 6,
} as const;
