// Bytes from the broker → MQTT 3.1.1 packets a client can receive: CONNACK, SUBACK, PUBLISH
// (QoS 0/1), PUBACK, PINGRESP. Chunks may split a packet anywhere.
//
//   header ──first byte──▶ length ──(1–4 bytes)──▶ body ──(Remaining Length bytes)──▶ header
//                 any state ──malformed──▶ failed ──reset()──▶ header
//
// MQTT has no resynchronisation: a stream is a chain of lengths, so once one packet is malformed
// nothing after it can be trusted and §4.8 says the connection must be closed. The parser reports
// one typed error and then ignores input until reset() (which the client calls for each new
// connection). A packet longer than `maxPacketBytes` is rejected from its header, before any
// buffer is sized for it. Nothing throws.
//
// Device code (DEVICE-JS subset): the body buffer grows to the largest packet seen (bounded by
// the limit) and is reused; each packet delivered is a fresh object, a PUBLISH payload a copy.

import { sliceBytes, utf8Decode } from "@em-platform/protocol/core/bytes";
import { MqttType } from "./mqtt-packets";

/** Why the input was rejected (the `code` of MqttSink.error). */
export const MqttParseError = {
  /** A fifth Remaining Length byte (§2.2.3 allows four). */
  badRemainingLength: 1,
  /** Packet type 0 or 15 (reserved, §2.2.1). */
  unknownType: 2,
  /** A type a server never sends to a client (CONNECT, SUBSCRIBE, …) or one this client never
   * asked for (QoS 2 flow, UNSUBACK). */
  unexpectedType: 3,
  /** Fixed-header flags other than the spec's for the type (§2.2.2), or PUBLISH QoS 2/3. */
  badFlags: 4,
  /** Remaining Length over the configured maximum. */
  tooLarge: 5,
  /** Remaining Length that cannot hold the packet's fields or is not the fixed size. */
  badLength: 6,
  /** A field the spec forbids: reserved bits, packet id 0, a topic that is not UTF-8 or holds
   * wildcards or U+0000, an undefined SUBACK return code. */
  badContent: 7,
} as const;

export type MqttParseErrorCode = (typeof MqttParseError)[keyof typeof MqttParseError];

export interface MqttConnack {
  type: typeof MqttType.connack;
  sessionPresent: boolean;
  returnCode: number;
}

export interface MqttSuback {
  type: typeof MqttType.suback;
  packetId: number;
  /** One per filter: the granted QoS 0–2, or 0x80 for failure. */
  returnCodes: number[];
}

export interface MqttInboundPublish {
  type: typeof MqttType.publish;
  qos: number;
  dup: boolean;
  retain: boolean;
  topic: string;
  /** 0 at QoS 0. */
  packetId: number;
  payload: Uint8Array;
}

export interface MqttPuback {
  type: typeof MqttType.puback;
  packetId: number;
}

export interface MqttPingresp {
  type: typeof MqttType.pingresp;
}

export type MqttInbound = MqttConnack | MqttSuback | MqttInboundPublish | MqttPuback | MqttPingresp;

/** Where the parser's output goes. Calls happen inside push(); they may call reset(), and then
 * the rest of that chunk is dropped (it belonged to the connection being reset). */
export interface MqttSink {
  packet(p: MqttInbound): void;
  error(code: MqttParseErrorCode, message: string): void;
}

export interface MqttParserStats {
  bytesIn: number;
  packets: number;
  errors: number;
  /** Bytes ignored while failed, or dropped by a reset mid-packet. */
  discarded: number;
}

const HEADER = 0;
const LENGTH = 1;
const BODY = 2;
const FAILED = 3;

export class MqttParser {
  readonly stats: MqttParserStats = { bytesIn: 0, packets: 0, errors: 0, discarded: 0 };
  private readonly sink: MqttSink;
  private readonly maxPacketBytes: number;
  private state = HEADER;
  private first = 0;
  private remaining = 0;
  private multiplier = 1;
  private lengthCount = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private fill = 0;
  /** Bumped by reset(), so push() notices a reset made from inside a sink call. */
  private epoch = 0;

  /** maxPacketBytes bounds the Remaining Length (everything after the fixed header). */
  constructor(sink: MqttSink, maxPacketBytes: number) {
    this.sink = sink;
    this.maxPacketBytes = maxPacketBytes;
  }

  /** Forgets any partial packet and a failure: the next byte starts a packet. */
  reset(): void {
    if (this.state === LENGTH) this.stats.discarded += 1 + this.lengthCount;
    else if (this.state === BODY) this.stats.discarded += 1 + this.lengthCount + this.fill;
    this.state = HEADER;
    this.fill = 0;
    this.epoch++;
  }

  /** True after an error, until reset(). */
  failed(): boolean {
    return this.state === FAILED;
  }

  push(chunk: Uint8Array): void {
    const epoch = this.epoch;
    this.stats.bytesIn += chunk.length;
    let i = 0;
    while (i < chunk.length) {
      if (this.epoch !== epoch) {
        this.stats.discarded += chunk.length - i;
        return;
      }
      const s = this.state;
      if (s === FAILED) {
        this.stats.discarded += chunk.length - i;
        return;
      }
      if (s === BODY) {
        let n = this.remaining - this.fill;
        if (n > chunk.length - i) n = chunk.length - i;
        const buf = this.buf;
        for (let k = 0; k < n; k++) buf[this.fill + k] = chunk[i + k];
        this.fill += n;
        i += n;
        if (this.fill === this.remaining) this.finish();
        continue;
      }
      const b = chunk[i++];
      if (s === HEADER) this.header(b);
      else this.lengthByte(b);
    }
  }

  private fail(code: MqttParseErrorCode, message: string): void {
    this.state = FAILED;
    this.stats.errors++;
    this.sink.error(code, message);
  }

  private header(b: number): void {
    const type = b >> 4;
    const flags = b & 15;
    if (type === 0 || type === 15) {
      this.fail(MqttParseError.unknownType, "reserved type");
      return;
    }
    if (type === MqttType.publish) {
      const qos = (flags >> 1) & 3;
      if (qos === 3) {
        this.fail(MqttParseError.badFlags, "PUBLISH QoS 3");
        return;
      }
      // The client subscribes at QoS 1, so §3.8.4 caps what the broker may send at QoS 1.
      if (qos === 2) {
        this.fail(MqttParseError.badFlags, "PUBLISH QoS 2 was never granted");
        return;
      }
    } else if (
      type === MqttType.connack ||
      type === MqttType.puback ||
      type === MqttType.suback ||
      type === MqttType.pingresp
    ) {
      if (flags !== 0) {
        this.fail(MqttParseError.badFlags, "reserved flags set");
        return;
      }
    } else {
      this.fail(MqttParseError.unexpectedType, "type " + type + " from a broker");
      return;
    }
    this.first = b;
    this.remaining = 0;
    this.multiplier = 1;
    this.lengthCount = 0;
    this.state = LENGTH;
  }

  private lengthByte(b: number): void {
    this.remaining += (b & 127) * this.multiplier;
    this.multiplier *= 128;
    this.lengthCount++;
    if (b & 128) {
      if (this.lengthCount === 4)
        this.fail(MqttParseError.badRemainingLength, "Remaining Length over 4 bytes");
      return;
    }
    if (this.remaining > this.maxPacketBytes) {
      this.fail(
        MqttParseError.tooLarge,
        "Remaining Length " + this.remaining + " > " + this.maxPacketBytes,
      );
      return;
    }
    if (this.buf.length < this.remaining) this.buf = new Uint8Array(this.remaining);
    this.fill = 0;
    this.state = BODY;
    if (this.remaining === 0) this.finish();
  }

  private finish(): void {
    this.state = HEADER;
    const p = this.decode();
    if (p === null) return;
    this.stats.packets++;
    this.sink.packet(p);
  }

  /** The packet in buf[0, remaining), or null after reporting why not. */
  private decode(): MqttInbound | null {
    const type = this.first >> 4;
    const b = this.buf;
    const n = this.remaining;
    if (type === MqttType.connack) {
      if (n !== 2) return this.bad(MqttParseError.badLength, "CONNACK length " + n);
      // §3.2.2.1: bits 7–1 of the acknowledge flags are reserved; §3.2.2.2: a refusal carries
      // session present = 0.
      if ((b[0] & 0xfe) !== 0 || (b[1] !== 0 && b[0] !== 0))
        return this.bad(MqttParseError.badContent, "CONNACK flags");
      return { type: MqttType.connack, sessionPresent: b[0] === 1, returnCode: b[1] };
    }
    if (type === MqttType.puback) {
      if (n !== 2) return this.bad(MqttParseError.badLength, "PUBACK length " + n);
      const id = (b[0] << 8) | b[1];
      if (id === 0) return this.bad(MqttParseError.badContent, "packet id 0");
      return { type: MqttType.puback, packetId: id };
    }
    if (type === MqttType.pingresp) {
      if (n !== 0) return this.bad(MqttParseError.badLength, "PINGRESP length " + n);
      return { type: MqttType.pingresp };
    }
    if (type === MqttType.suback) {
      if (n < 3) return this.bad(MqttParseError.badLength, "SUBACK length " + n);
      const id = (b[0] << 8) | b[1];
      if (id === 0) return this.bad(MqttParseError.badContent, "packet id 0");
      const codes: number[] = [];
      for (let k = 2; k < n; k++) {
        const c = b[k];
        if (c > 2 && c !== 0x80) return this.bad(MqttParseError.badContent, "SUBACK code " + c);
        codes.push(c);
      }
      return { type: MqttType.suback, packetId: id, returnCodes: codes };
    }
    return this.decodePublish(b, n);
  }

  private decodePublish(b: Uint8Array, n: number): MqttInboundPublish | null {
    const flags = this.first & 15;
    const qos = (flags >> 1) & 3;
    if (n < 2) return this.bad(MqttParseError.badLength, "PUBLISH length " + n);
    const topicLength = (b[0] << 8) | b[1];
    let off = 2 + topicLength;
    if (off + (qos > 0 ? 2 : 0) > n) return this.bad(MqttParseError.badLength, "PUBLISH topic");
    if (topicLength === 0) return this.bad(MqttParseError.badContent, "empty topic");
    const topic = utf8Decode(sliceBytes(b, 2, off));
    if (topic === null) return this.bad(MqttParseError.badContent, "topic not UTF-8");
    for (let k = 0; k < topic.length; k++) {
      const c = topic.charCodeAt(k);
      // §4.7.1: + and # are filter-only; §1.5.3: no U+0000.
      if (c === 43 || c === 35 || c === 0)
        return this.bad(MqttParseError.badContent, "wildcard or NUL in topic");
    }
    let id = 0;
    if (qos > 0) {
      id = (b[off] << 8) | b[off + 1];
      off += 2;
      if (id === 0) return this.bad(MqttParseError.badContent, "packet id 0");
    }
    return {
      type: MqttType.publish,
      qos: qos,
      dup: (flags & 8) !== 0,
      retain: (flags & 1) !== 0,
      topic: topic,
      packetId: id,
      payload: sliceBytes(b, off, n),
    };
  }

  private bad(code: MqttParseErrorCode, message: string): null {
    this.fail(code, message);
    return null;
  }
}
