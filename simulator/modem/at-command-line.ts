// One command line as the modem sees it (V.250 §5.3): "AT" then a basic command (E0, S0=0, A,
// H, &W …) or an extended one (+NAME, +NAME=args, +NAME?, +NAME=?). Arguments are split on
// commas outside double quotes; quotes are removed. Concatenated commands (AT+A;+B) are not
// modelled: such a line is one unknown command and gets ERROR.

export const AtForm = {
  /** AT+X, ATA */
  exec: "exec",
  /** AT+X=a,b, ATE1, ATS0=0 */
  set: "set",
  /** AT+X?, ATS0? */
  read: "read",
  /** AT+X=? */
  test: "test",
} as const;

export type AtFormValue = (typeof AtForm)[keyof typeof AtForm];

export interface AtCommandLine {
  /** Upper case: "" for a bare AT, "E", "S0", "&W", "+CIPSTART". */
  name: string;
  form: AtFormValue;
  args: string[];
}

/** null when the line does not start with "AT" (a real modem ignores such lines). */
export function parseAtLine(line: string): AtCommandLine | null {
  const t = line.trim();
  if (t.length < 2 || t.substring(0, 2).toUpperCase() !== "AT") return null;
  const body = t.substring(2);
  if (body.length === 0) return { name: "", form: AtForm.exec, args: [] };
  const c = body.charAt(0);
  if (c === "+" || c === "*") return extended(body);
  if (c === "&") return basic("&" + body.charAt(1).toUpperCase(), body.substring(2));
  if (c.toUpperCase() === "S") {
    let i = 1;
    while (i < body.length && body.charAt(i) >= "0" && body.charAt(i) <= "9") i++;
    return basic("S" + body.substring(1, i), body.substring(i));
  }
  return basic(c.toUpperCase(), body.substring(1));
}

function basic(name: string, rest: string): AtCommandLine {
  if (rest === "?") return { name: name, form: AtForm.read, args: [] };
  if (rest.charAt(0) === "=") return { name: name, form: AtForm.set, args: [rest.substring(1)] };
  if (rest.length === 0) return { name: name, form: AtForm.exec, args: [] };
  return { name: name, form: AtForm.set, args: [rest] };
}

function extended(body: string): AtCommandLine {
  let i = 1;
  while (i < body.length && body.charAt(i) !== "=" && body.charAt(i) !== "?") i++;
  const name = body.substring(0, i).toUpperCase();
  const rest = body.substring(i);
  if (rest === "") return { name: name, form: AtForm.exec, args: [] };
  if (rest === "?") return { name: name, form: AtForm.read, args: [] };
  if (rest === "=?") return { name: name, form: AtForm.test, args: [] };
  if (rest.charAt(0) === "=")
    return { name: name, form: AtForm.set, args: splitArgs(rest.substring(1)) };
  return { name: name + rest.toUpperCase(), form: AtForm.exec, args: [] };
}

/** Splits on commas outside double quotes; strips quotes and the spaces around each field. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charAt(i);
    if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** A decimal argument; NaN when missing or not a plain non-negative integer. */
export function intArg(args: string[], i: number): number {
  const s = i < args.length ? args[i] : "";
  if (!/^[0-9]{1,9}$/.test(s)) return Number.NaN;
  return Number.parseInt(s, 10);
}
