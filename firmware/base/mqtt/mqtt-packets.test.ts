// Exact bytes of every packet the client sends, written out by hand from the MQTT 3.1.1 text
// (OASIS standard, 29 October 2014): fixed header §2.2, Remaining Length §2.2.3, strings §1.5.3,
// CONNECT §3.1, PUBLISH §3.3, PUBACK §3.4, SUBSCRIBE §3.8, PINGREQ §3.12, DISCONNECT §3.14.

import { toHex, utf8Encode } from "@em-platform/protocol/core/bytes";
import { describe, expect, it } from "vitest";
import {
  encodeConnect,
  encodeDisconnect,
  encodePingreq,
  encodePuback,
  encodePublish,
  encodeSubscribe,
  setDup,
} from "./mqtt-packets";

/** ASCII text as hex, so vectors read as "header bytes + this text". */
function hexOf(text: string): string {
  return toHex(utf8Encode(text));
}

const STATUS = "em/v1/unit/0000002a/status";

describe("CONNECT (§3.1)", () => {
  it("client id, persistent session, keepalive 60, retained QoS 1 will", () => {
    const p = encodeConnect({
      clientId: utf8Encode("0000002a"),
      cleanSession: false,
      keepAliveS: 60,
      will: { topic: utf8Encode(STATUS), payload: utf8Encode("offline"), qos: 1, retain: true },
      username: null,
      password: null,
    });
    // Remaining Length = 10 (variable header) + 2+8 + 2+26 + 2+7 = 57 = 0x39.
    // Flags 0x2c = will retain 0x20 | will QoS 1 << 3 | will flag 0x04; clean session 0.
    expect(toHex(p as Uint8Array)).toBe(
      "1039" +
        "00044d515454" +
        "04" +
        "2c" +
        "003c" +
        "0008" +
        hexOf("0000002a") +
        "001a" +
        hexOf(STATUS) +
        "0007" +
        hexOf("offline"),
    );
  });

  it("clean session, no will, user name and password", () => {
    const p = encodeConnect({
      clientId: utf8Encode("c"),
      cleanSession: true,
      keepAliveS: 0x1234,
      will: null,
      username: utf8Encode("u"),
      password: new Uint8Array([0xff, 0x00]),
    });
    // 10 + 2+1 + 2+1 + 2+2 = 20 = 0x14. Flags 0xc2 = user 0x80 | password 0x40 | clean 0x02.
    expect(toHex(p as Uint8Array)).toBe(
      "1014" + "00044d515454" + "04" + "c2" + "1234" + "000163" + "000175" + "0002ff00",
    );
  });

  it("an empty client id is encoded as a zero-length string", () => {
    const p = encodeConnect({
      clientId: new Uint8Array(0),
      cleanSession: true,
      keepAliveS: 0,
      will: null,
      username: null,
      password: null,
    });
    expect(toHex(p as Uint8Array)).toBe("100c00044d51545404020000" + "0000");
  });

  it("refuses what §3.1 forbids instead of sending it", () => {
    const base = {
      clientId: utf8Encode("c"),
      cleanSession: true,
      keepAliveS: 60,
      will: null,
      username: null,
      password: null,
    };
    expect(encodeConnect({ ...base, password: utf8Encode("p") })).toBeNull();
    expect(encodeConnect({ ...base, clientId: new Uint8Array(65536) })).toBeNull();
    expect(encodeConnect({ ...base, keepAliveS: 65536 })).toBeNull();
    expect(
      encodeConnect({
        ...base,
        will: { topic: utf8Encode("t"), payload: new Uint8Array(0), qos: 3, retain: false },
      }),
    ).toBeNull();
  });
});

describe("SUBSCRIBE (§3.8)", () => {
  it("one filter at QoS 1; fixed header 0x82", () => {
    const p = encodeSubscribe(1, [utf8Encode("em/v1/unit/0000002a/down")], [1]);
    // 2 (packet id) + 2+24 + 1 = 29 = 0x1d.
    expect(toHex(p as Uint8Array)).toBe(
      "821d" + "0001" + "0018" + hexOf("em/v1/unit/0000002a/down") + "01",
    );
  });

  it("two filters", () => {
    const p = encodeSubscribe(0xabcd, [utf8Encode("a"), utf8Encode("b/#")], [0, 2]);
    expect(toHex(p as Uint8Array)).toBe("820c" + "abcd" + "00016100" + "0003622f2302");
  });

  it("refuses packet id 0 and an empty list", () => {
    expect(encodeSubscribe(0, [utf8Encode("a")], [1])).toBeNull();
    expect(encodeSubscribe(1, [], [])).toBeNull();
  });
});

describe("PUBLISH (§3.3)", () => {
  const topic = utf8Encode("a/b");
  const payload = new Uint8Array([1, 2]);

  it("QoS 1 carries a packet id after the topic", () => {
    expect(toHex(encodePublish(topic, payload, 1, false, false, 10) as Uint8Array)).toBe(
      "3209" + "0003612f62" + "000a" + "0102",
    );
  });

  it("QoS 0 has no packet id; retain sets bit 0", () => {
    expect(toHex(encodePublish(topic, payload, 0, false, false, 0) as Uint8Array)).toBe(
      "3007" + "0003612f62" + "0102",
    );
    expect(toHex(encodePublish(topic, payload, 1, true, false, 65535) as Uint8Array)).toBe(
      "3309" + "0003612f62" + "ffff" + "0102",
    );
  });

  it("DUP is bit 3, set at encode time or in place on a stored packet", () => {
    expect(toHex(encodePublish(topic, payload, 1, false, true, 10) as Uint8Array)).toBe(
      "3a090003612f62000a0102",
    );
    const p = encodePublish(topic, payload, 1, true, false, 10) as Uint8Array;
    setDup(p);
    expect(toHex(p)).toBe("3b090003612f62000a0102");
  });

  it("empty payload", () => {
    expect(toHex(encodePublish(topic, new Uint8Array(0), 1, false, false, 2) as Uint8Array)).toBe(
      "32070003612f620002",
    );
  });

  it("Remaining Length at the §2.2.3 table's boundaries", () => {
    // Remaining = 2 + 1 (topic "t") + payload length.
    const t = utf8Encode("t");
    const cases: [number, string][] = [
      [127, "7f"],
      [128, "8001"],
      [16383, "ff7f"],
      [16384, "808001"],
      [2097151, "ffff7f"],
      [2097152, "80808001"],
    ];
    for (const [remaining, field] of cases) {
      const p = encodePublish(t, new Uint8Array(remaining - 3), 0, false, false, 0) as Uint8Array;
      expect(toHex(p.subarray(0, 1 + field.length / 2 + 3))).toBe("30" + field + "000174");
      expect(p.length).toBe(1 + field.length / 2 + remaining);
    }
  });

  it("refuses QoS 2, packet id 0 at QoS 1, DUP at QoS 0 and an empty topic", () => {
    expect(encodePublish(topic, payload, 2, false, false, 1)).toBeNull();
    expect(encodePublish(topic, payload, 1, false, false, 0)).toBeNull();
    expect(encodePublish(topic, payload, 1, false, false, 65536)).toBeNull();
    expect(encodePublish(topic, payload, 0, false, true, 0)).toBeNull();
    expect(encodePublish(new Uint8Array(0), payload, 0, false, false, 0)).toBeNull();
  });
});

describe("two-byte packets", () => {
  it("PUBACK, PINGREQ, DISCONNECT", () => {
    expect(toHex(encodePuback(10))).toBe("4002000a");
    expect(toHex(encodePuback(0xfffe))).toBe("4002fffe");
    expect(toHex(encodePingreq())).toBe("c000");
    expect(toHex(encodeDisconnect())).toBe("e000");
  });
});
