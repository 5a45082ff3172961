// A radio trace: one JSON object per line, one per advertisement heard — what `lab sniff
// --record` writes from a real adapter, and what `lab sniff --replay` and the simulator's
// trace replay (trace-replay.ts) read back:
//   {"t": ms since the capture began, "address": "aa:bb:…", "rssi": -61,
//    "companyId": 65535, "data": "<hex of the manufacturer data after the company id>"}
// A line that does not parse is reported with its number, never skipped silently.

import { fromHex, toHex } from "@em-platform/protocol/core/bytes";

/** One advertisement's manufacturer data as heard: company id and the payload after it. */
export interface Advert {
  /** ms since the capture began. */
  atMs: number;
  address: string;
  rssi: number;
  companyId: number;
  data: Uint8Array;
}

export function traceLine(a: Advert): string {
  return (
    JSON.stringify({
      t: a.atMs,
      address: a.address,
      rssi: a.rssi,
      companyId: a.companyId,
      data: toHex(a.data),
    }) + "\n"
  );
}

export interface TraceRead {
  adverts: Advert[];
  /** "line n: why" for every line that is not an advertisement. */
  bad: string[];
}

export function readTrace(text: string): TraceRead {
  const adverts: Advert[] = [];
  const bad: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const why = (w: string) => bad.push(`line ${i + 1}: ${w}`);
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch {
      why("not JSON");
      continue;
    }
    const data = typeof o.data === "string" ? fromHex(o.data.toLowerCase()) : null;
    if (typeof o.t !== "number" || !(o.t >= 0)) why('"t" is not a number of ms ≥ 0');
    else if (typeof o.address !== "string") why('"address" is not text');
    else if (typeof o.rssi !== "number") why('"rssi" is not a number');
    else if (
      !Number.isInteger(o.companyId) ||
      (o.companyId as number) < 0 ||
      (o.companyId as number) > 0xffff
    )
      why('"companyId" is not 0…65535');
    else if (data === null) why('"data" is not hex');
    else
      adverts.push({
        atMs: o.t,
        address: o.address,
        rssi: o.rssi,
        companyId: o.companyId as number,
        data,
      });
  }
  return { adverts, bad };
}
