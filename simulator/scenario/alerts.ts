// The alert format the checker reads: one JSON object per line (JSONL), the same for what a run
// expects (ground truth) and for what a backend observed, so any backend's export can be checked
// (simulator/README.md, "Alerts and the checker").

export type AlertType =
  | "strap_tamper"
  | "mains_lost"
  | "curfew_violation"
  | "tag_not_heard"
  | "radio_attack"
  | "unit_tamper"
  | "tag_battery_low"
  | "live_relay"
  | "unit_silent";
export const ALERT_TYPES: AlertType[] = [
  "strap_tamper",
  "mains_lost",
  "curfew_violation",
  "tag_not_heard",
  "radio_attack",
  "unit_tamper",
  "tag_battery_low",
  "live_relay",
  "unit_silent",
];

export interface Alert {
  /** The unit id, 8 hex digits as in the MQTT topics. */
  subject: string;
  type: AlertType;
  /** When the fact began, UTC seconds. */
  start: number;
  /** When it ended (UTC s); null if it had not ended by the end of the run or has no end. */
  end: number | null;
  /** Observed only: when the centre first knew of it (UTC s on the centre's clock). */
  reportedAt?: number;
  /** Expected only: why (e.g. "left during a home window"). */
  cause?: string;
  /** Expected only: the first moment a unit can know (a strap cut away from home: the return). */
  detectableAt?: number;
}

export class AlertFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly expected: string,
  ) {
    super(`${file}:${line}: expected ${expected}`);
    this.name = "AlertFormatError";
  }
}

export function toJsonl(alerts: Alert[]): string {
  return alerts.map((a) => JSON.stringify(a)).join("\n") + (alerts.length > 0 ? "\n" : "");
}

export function parseAlerts(text: string, file: string): Alert[] {
  const out: Alert[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const fail = (what: string): never => {
      throw new AlertFormatError(file, i + 1, what);
    };
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      fail("a JSON object");
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail("a JSON object");
    const o = v as Record<string, unknown>;
    if (typeof o.subject !== "string" || !/^[0-9a-f]{8}$/.test(o.subject))
      fail('"subject": the unit id as 8 lower-case hex digits');
    if (!ALERT_TYPES.includes(o.type as AlertType))
      fail('"type": one of ' + ALERT_TYPES.join(", "));
    if (typeof o.start !== "number" || !Number.isInteger(o.start)) fail('"start": UTC seconds');
    if (
      o.end !== null &&
      o.end !== undefined &&
      (typeof o.end !== "number" || o.end < (o.start as number))
    )
      fail('"end": UTC seconds not before start, or null');
    if (o.reportedAt !== undefined && typeof o.reportedAt !== "number")
      fail('"reportedAt": UTC seconds');
    out.push({
      subject: o.subject as string,
      type: o.type as AlertType,
      start: o.start as number,
      end: (o.end as number | null | undefined) ?? null,
      reportedAt: o.reportedAt as number | undefined,
      cause: typeof o.cause === "string" ? o.cause : undefined,
      detectableAt: typeof o.detectableAt === "number" ? o.detectableAt : undefined,
    });
  }
  return out;
}
