// The live kit's replay-restart session (SPEC §3, "The centre keeps uplink counter state
// durably"): a unit's alarm is recorded off the air before the backend restarts and played back
// after it. A centre that forgot its counter windows and processed seqs takes the recording as
// new and raises the alarm again — an officer sent to an old tamper at 3 a.m. A genuine
// envelope after it must still be taken, and the alarm raised before the restart must still be
// in the backend's alerts before the playback (one that lost it would raise it again from the
// recording and look right afterwards). Its counter windows alone, forgotten while the seqs are
// kept, show in no alert: that part the kit cannot see.

import { unitIdText, uplinkTopic } from "@em-platform/protocol/core/topics";
import { FleetKeyring } from "@em-platform/protocol/host/keyring";
import {
  type LiveSession,
  type Publish,
  type SessionContext,
  seal,
  tampers,
} from "./live-sessions";

export function replayRestartSession(
  c: SessionContext,
  unitId: number,
): { session: LiveSession; before: Publish; after: Publish[] } {
  const keys = FleetKeyring.fromRoot(c.root, [1]);
  const subject = unitIdText(unitId);
  const topic = uplinkTopic(unitId);
  const recorded = seal(keys, 1, tampers(unitId, 1, [1], c.now));
  const before: Publish = { topic, payload: recorded, what: "counter 1 (seq 1), recorded" };
  const after: Publish[] = [
    { topic, payload: recorded, what: "the recording of counter 1, after the restart" },
    {
      topic,
      payload: seal(keys, 1, tampers(unitId, 2, [2], c.now)),
      what: "counter 2 (seq 2), genuine",
    },
  ];
  return {
    session: {
      name: "replay-restart",
      clause: "§3",
      rule: "counter windows and processed seqs survive the backend's restart: an envelope recorded before it is not taken again after it",
      subjects: [subject],
      steps: [before, ...after],
      expected: [1, 2].map((seq) => ({
        subject,
        type: "strap_tamper",
        start: c.now + seq,
        end: null,
      })),
    },
    before,
    after,
  };
}
