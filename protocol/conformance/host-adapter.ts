// The reference judge of the kit's adapter protocol: one HostReceiver per session.

import { fromHex } from "../src/core/bytes";
import { HostReceiver } from "./host-receiver";
import type { KitRequest } from "./kit-cases";

/** Answers requests in order, as an adapter must; "error: …" for a request it cannot read. */
export function referenceJudge(): (r: KitRequest) => string {
  const sessions = new Map<string, HostReceiver>();
  return (r) => {
    let rx = sessions.get(r.session);
    if (rx === undefined) {
      const root = fromHex(r.root);
      if (root === null || root.length !== 32) return "error: root is not 32 bytes of hex";
      rx = new HostReceiver(root, r.receiver);
      sessions.set(r.session, rx);
    }
    return rx.judge(r);
  };
}
