// Uplink envelopes arriving one after another at one centre (SPEC §3 uplink window, counters
// across key versions; §13 topic binding), each with the verdict the centre must give it. The
// verdicts are written here by hand from the SPEC's tables, not recorded from the implementation.

import { toHex } from "../src/core/bytes";
import { deriveKey, KeyPurpose } from "../src/core/keys";
import { sha256 } from "../src/core/sha256";
import { encodeUplink, type Uplink } from "../src/core/uplink";
import { ROOT, TAG_ID, UNIT_ID, uplinkCases } from "./cases";
import type { VectorReceiver } from "./receiver";

export interface SequenceFrame {
  /** What the frame is, for a reader. */
  note: string;
  hex: string;
  /** The unit id of the MQTT topic it arrived on; absent: by SMS (no topic). */
  topicUnitId?: number;
  /** "ok" (fresh, processed) or the SPEC §14 code. */
  expect: string;
}

export interface SequenceCase {
  name: string;
  clause: string;
  receiver: VectorReceiver;
  frames: SequenceFrame[];
}

const CENTRE: VectorReceiver = { role: "centre", keyVersions: [1, 2] };

function envelope(counter: number, keyVersion = 1, unitId = UNIT_ID): string {
  const base = uplinkCases[0].uplink;
  const u: Uplink = {
    ...base,
    unitId: unitId,
    counter: counter,
    events: [{ ...base.events[0], seq: 1000 + (counter % 1000), tagId: TAG_ID }],
  };
  const key = deriveKey(sha256, ROOT, KeyPurpose.unitUplink, unitId, keyVersion);
  return toHex(encodeUplink(sha256, key, keyVersion, u));
}

function mqtt(note: string, hex: string, expect: string, topicUnitId = UNIT_ID): SequenceFrame {
  return { note, hex, topicUnitId, expect };
}

export function sequenceCases(): SequenceCase[] {
  return [
    {
      name: "uplink window: late, duplicate, below the window, beyond the gap",
      clause: "§3 uplink window",
      receiver: CENTRE,
      frames: [
        mqtt("counter 100, the first", envelope(100), "ok"),
        mqtt("102", envelope(102), "ok"),
        { note: "101 by SMS, late but not seen", hex: envelope(101), expect: "ok" },
        mqtt("101 again over MQTT", envelope(101), "duplicate"),
        mqtt("100 again", envelope(100), "duplicate"),
        mqtt("38 = 102 - 64: below the window", envelope(38), "replay"),
        mqtt("39: inside the window, not seen", envelope(39), "ok"),
        mqtt("1,000,103 = 102 + G + 1", envelope(1000103), "too_far_ahead"),
        mqtt("1,000,102 = 102 + G", envelope(1000102), "ok"),
        mqtt("102 is now below the window", envelope(102), "replay"),
      ],
    },
    {
      name: "counters across a key rotation",
      clause: "§3 key versions",
      receiver: CENTRE,
      frames: [
        mqtt("key version 1, counter 500", envelope(500, 1), "ok"),
        mqtt("key version 2 restarts at 0", envelope(0, 2), "ok"),
        mqtt("key version 2, counter 1", envelope(1, 2), "ok"),
        mqtt("key version 1, counter 501: a downgrade", envelope(501, 1), "key_downgrade"),
        mqtt("key version 2, counter 0 again", envelope(0, 2), "duplicate"),
      ],
    },
    {
      name: "topic binding",
      clause: "§13 topic binding",
      receiver: CENTRE,
      frames: [
        mqtt("unit A's envelope on unit B's topic", envelope(7), "topic_mismatch", UNIT_ID + 1),
        mqtt("the same envelope on A's own topic: nothing was used", envelope(7), "ok"),
        { note: "by SMS: no topic, the envelope names the unit", hex: envelope(8), expect: "ok" },
      ],
    },
    {
      name: "the last counter, 2^32 - 1, is usable",
      clause: "§3 sender rule",
      receiver: CENTRE,
      frames: [
        mqtt("4,294,967,000", envelope(4294967000), "ok"),
        mqtt("4,294,967,295", envelope(4294967295), "ok"),
        mqtt("4,294,967,295 again", envelope(4294967295), "duplicate"),
      ],
    },
  ];
}
