// Stable error codes (SPEC §14). Decoders return a Result instead of throwing: Espruino cannot
// subclass Error, and a receiver must classify every input without a try/catch around it.

export const ErrorCode = {
  truncated: "truncated",
  tooLong: "too_long",
  badVersion: "bad_version",
  badType: "bad_type",
  badCbor: "bad_cbor",
  badStructure: "bad_structure",
  fieldOutOfRange: "field_out_of_range",
  badAlgorithm: "bad_algorithm",
  unknownKeyVersion: "unknown_key_version",
  wrongDevice: "wrong_device",
  badMac: "bad_mac",
  replay: "replay",
  duplicate: "duplicate",
  tooFarAhead: "too_far_ahead",
  expired: "expired",
  counterExhausted: "counter_exhausted",
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ProtocolError {
  ok: false;
  code: ErrorCodeValue;
  message: string;
}

export interface Ok<T> {
  ok: true;
  value: T;
}

export type Result<T> = Ok<T> | ProtocolError;

export function ok<T>(value: T): Ok<T> {
  return { ok: true, value: value };
}

export function fail(code: ErrorCodeValue, message: string): ProtocolError {
  return { ok: false, code: code, message: message };
}
