// MQTT 3.1.1 (OASIS, 2014) packets this client sends: CONNECT, SUBSCRIBE, PUBLISH (QoS 0/1),
// PUBACK, PINGREQ, DISCONNECT. Each encoder sizes its packet first and fills one Uint8Array, so a
// packet costs one allocation. Encoders return null on input the spec forbids (a string over
// 65,535 bytes, packet id 0 with QoS 1, a password without a user name — §3.1.2.9) instead of
// throwing: device code classifies, it does not catch.
//
// Device code (DEVICE-JS subset).

/** Control packet types, the high nibble of the first byte (§2.2.1). */
export const MqttType = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
} as const;

/** The largest Remaining Length four bytes can encode (§2.2.3). */
export const MAX_REMAINING_LENGTH = 268435455;

const MAX_STRING = 65535;

export interface MqttWill {
  topic: Uint8Array;
  payload: Uint8Array;
  qos: number;
  retain: boolean;
}

export interface ConnectOptions {
  /** UTF-8 client identifier (§3.1.3.1). */
  clientId: Uint8Array;
  cleanSession: boolean;
  keepAliveS: number;
  will: MqttWill | null;
  username: Uint8Array | null;
  password: Uint8Array | null;
}

/** Bytes the Remaining Length field takes for n (1–4). */
function lengthBytes(n: number): number {
  if (n < 128) return 1;
  if (n < 16384) return 2;
  if (n < 2097152) return 3;
  return 4;
}

/** A packet with its fixed header written (§2.2); the rest starts at headerLength(remaining). */
function allocate(first: number, remaining: number): Uint8Array {
  const out = new Uint8Array(1 + lengthBytes(remaining) + remaining);
  out[0] = first;
  let n = remaining;
  let i = 1;
  // §2.2.3: seven bits per byte, least significant first, bit 7 = "more bytes follow".
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 128;
    out[i++] = b;
  } while (n > 0);
  return out;
}

function headerLength(remaining: number): number {
  return 1 + lengthBytes(remaining);
}

function putU16(out: Uint8Array, off: number, v: number): number {
  out[off] = (v >> 8) & 255;
  out[off + 1] = v & 255;
  return off + 2;
}

/** A length-prefixed field (§1.5.3 strings, §3.1.3.3 will message, §3.1.3.5 password). */
function putField(out: Uint8Array, off: number, b: Uint8Array): number {
  let o = putU16(out, off, b.length);
  for (let i = 0; i < b.length; i++) out[o++] = b[i];
  return o;
}

function fieldTooLong(b: Uint8Array | null): boolean {
  return b !== null && b.length > MAX_STRING;
}

/** CONNECT (§3.1): protocol name "MQTT", level 4. */
export function encodeConnect(o: ConnectOptions): Uint8Array | null {
  const w = o.will;
  if (o.password !== null && o.username === null) return null;
  if (fieldTooLong(o.clientId) || fieldTooLong(o.username) || fieldTooLong(o.password)) return null;
  if (w !== null && (fieldTooLong(w.topic) || fieldTooLong(w.payload))) return null;
  if (w !== null && (w.qos < 0 || w.qos > 2)) return null;
  if (o.keepAliveS < 0 || o.keepAliveS > 65535) return null;
  let remaining = 10 + 2 + o.clientId.length;
  if (w !== null) remaining += 4 + w.topic.length + w.payload.length;
  if (o.username !== null) remaining += 2 + o.username.length;
  if (o.password !== null) remaining += 2 + o.password.length;
  const out = allocate(0x10, remaining);
  let off = headerLength(remaining);
  // "\0\x04MQTT", protocol level 4.
  out[off++] = 0;
  out[off++] = 4;
  out[off++] = 0x4d;
  out[off++] = 0x51;
  out[off++] = 0x54;
  out[off++] = 0x54;
  out[off++] = 4;
  // Connect flags (§3.1.2.3): user 0x80, password 0x40, will retain 0x20, will QoS << 3,
  // will 0x04, clean session 0x02; bit 0 is reserved and zero.
  let flags = 0;
  if (o.username !== null) flags |= 0x80;
  if (o.password !== null) flags |= 0x40;
  if (w !== null) {
    flags |= 0x04 | (w.qos << 3);
    if (w.retain) flags |= 0x20;
  }
  if (o.cleanSession) flags |= 0x02;
  out[off++] = flags;
  off = putU16(out, off, o.keepAliveS);
  off = putField(out, off, o.clientId);
  if (w !== null) {
    off = putField(out, off, w.topic);
    off = putField(out, off, w.payload);
  }
  if (o.username !== null) off = putField(out, off, o.username);
  if (o.password !== null) putField(out, off, o.password);
  return out;
}

/** SUBSCRIBE (§3.8): fixed-header flags must be 0b0010. One topic filter per entry of `qos`. */
export function encodeSubscribe(
  packetId: number,
  filters: Uint8Array[],
  qos: number[],
): Uint8Array | null {
  if (packetId < 1 || packetId > 65535 || filters.length === 0) return null;
  if (filters.length !== qos.length) return null;
  let remaining = 2;
  for (let i = 0; i < filters.length; i++) {
    if (fieldTooLong(filters[i]) || qos[i] < 0 || qos[i] > 2) return null;
    remaining += 3 + filters[i].length;
  }
  const out = allocate(0x82, remaining);
  let off = putU16(out, headerLength(remaining), packetId);
  for (let i = 0; i < filters.length; i++) {
    off = putField(out, off, filters[i]);
    out[off++] = qos[i];
  }
  return out;
}

/** PUBLISH (§3.3) at QoS 0 or 1. packetId is ignored at QoS 0 (no identifier is sent). */
export function encodePublish(
  topic: Uint8Array,
  payload: Uint8Array,
  qos: number,
  retain: boolean,
  dup: boolean,
  packetId: number,
): Uint8Array | null {
  if (qos !== 0 && qos !== 1) return null;
  if (topic.length === 0 || fieldTooLong(topic)) return null;
  if (qos === 1 && (packetId < 1 || packetId > 65535)) return null;
  // §3.3.1.1: DUP must be 0 on every QoS 0 message.
  if (qos === 0 && dup) return null;
  const remaining = 2 + topic.length + (qos > 0 ? 2 : 0) + payload.length;
  if (remaining > MAX_REMAINING_LENGTH) return null;
  let first = 0x30 | (qos << 1);
  if (dup) first |= 0x08;
  if (retain) first |= 0x01;
  const out = allocate(first, remaining);
  let off = putField(out, headerLength(remaining), topic);
  if (qos > 0) off = putU16(out, off, packetId);
  for (let i = 0; i < payload.length; i++) out[off++] = payload[i];
  return out;
}

/** Marks an already encoded PUBLISH as a redelivery (§3.3.1.1), in place: no re-encoding. */
export function setDup(publish: Uint8Array): void {
  publish[0] |= 0x08;
}

/** PUBACK (§3.4). */
export function encodePuback(packetId: number): Uint8Array {
  const out = new Uint8Array(4);
  out[0] = 0x40;
  out[1] = 2;
  putU16(out, 2, packetId);
  return out;
}

/** PINGREQ (§3.12). */
export function encodePingreq(): Uint8Array {
  const out = new Uint8Array(2);
  out[0] = 0xc0;
  return out;
}

/** DISCONNECT (§3.14): tells the broker to discard the will. */
export function encodeDisconnect(): Uint8Array {
  const out = new Uint8Array(2);
  out[0] = 0xe0;
  return out;
}
