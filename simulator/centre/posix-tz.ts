// The centre's half of SPEC §11 key 4: an IANA zone name (what a case officer picks, e.g.
// "Australia/Sydney") turned into the POSIX TZ rule the home unit parses
// (firmware/base/schedule/local-time.ts), derived from Node's Intl — no hand-written table.
//
// posixTzFromIana(zone, at) reads the zone's offset changes in the calendar year of `at` from Intl
// and writes the rule that produces them: no change → a fixed offset (`<+03>-3`); two changes →
// standard time = the smaller offset, summer time = the larger, each change date as the first of
// `Mm.w.d` / `Jn` / `n` (with the time moved by whole days where needed, e.g. Israel's
// `M3.4.4/26`, "the Friday before the last Sunday") that gives exactly Intl's changes in that
// year and the next `years` − 1 years. Anything else (three or more changes a year, a rule that
// changes within the checked years — Morocco, say) is refused with an Error: the centre must not
// send a rule that is wrong next year. A schedule is valid for months, so derive the rule for its
// valid-from and check `years` covers its valid-to.
//
// Names: Intl's short English name when it is 3+ letters (EST, PDT), else the numeric form tzdata
// also uses (`<+10>`, `<-0330>`). Names do not affect conversion.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      timeZoneName: "short",
    });
    formatters.set(zone, f);
  }
  return f;
}

function partsAt(zone: string, t: number): { local: number; name: string } {
  const v: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(t * 1000))) v[p.type] = p.value;
  const local =
    Date.UTC(
      Number(v.year),
      Number(v.month) - 1,
      Number(v.day),
      Number(v.hour),
      Number(v.minute),
      Number(v.second),
    ) / 1000;
  return { local: local, name: v.timeZoneName ?? "" };
}

/** Offset of `zone` from UTC at UTC second t per Intl, in seconds east. */
export function intlOffset(zone: string, t: number): number {
  return partsAt(zone, t).local - t;
}

/** Local seconds (local civil time counted as UTC) of UTC second t in `zone` per Intl. */
export function intlLocalSeconds(zone: string, t: number): number {
  return partsAt(zone, t).local;
}

export interface IntlChange {
  /** First UTC second of the new offset. */
  at: number;
  before: number;
  after: number;
}

/** Every offset change of `zone` in [from, to) (UTC s), per Intl: scanned daily, then bisected. */
export function intlChanges(zone: string, from: number, to: number): IntlChange[] {
  const out: IntlChange[] = [];
  let t = from;
  let off = intlOffset(zone, t);
  while (t < to) {
    const next = Math.min(t + 86400, to);
    const nextOff = intlOffset(zone, next);
    if (nextOff !== off) {
      let lo = t;
      let hi = next;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (intlOffset(zone, mid) === off) lo = mid;
        else hi = mid;
      }
      if (hi < to) out.push({ at: hi, before: off, after: intlOffset(zone, hi) });
      off = intlOffset(zone, hi);
      t = hi;
      continue;
    }
    t = next;
    off = nextOff;
  }
  return out;
}

/** A change date in the rule's terms (form as in local-time.ts: 0 n, 1 Jn, 2 Mm.w.d). */
interface DateRule {
  text: string;
  /** UTC second of this change in `year`, given the offset in force before it. */
  instant(year: number, before: number): number;
}

const DAY = 86400;

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function hms(seconds: number): string {
  const sign = seconds < 0 ? "-" : "";
  const a = Math.abs(seconds);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  const s = a % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(s).padStart(2, "0");
  return sign + String(h) + (s !== 0 ? ":" + mm + ":" + ss : m !== 0 ? ":" + mm : "");
}

/** POSIX offset text of an offset in seconds east (POSIX counts west). */
export function posixOffset(east: number): string {
  return east > 0 ? "-" + hms(east) : hms(-east);
}

function numericName(east: number): string {
  const sign = east < 0 ? "-" : "+";
  const a = Math.abs(east);
  const h = String(Math.floor(a / 3600)).padStart(2, "0");
  const m = Math.floor((a % 3600) / 60);
  const s = a % 60;
  return (
    "<" +
    sign +
    h +
    (m !== 0 || s !== 0 ? String(m).padStart(2, "0") : "") +
    (s !== 0 ? String(s).padStart(2, "0") : "") +
    ">"
  );
}

function zoneName(zone: string, t: number, east: number): string {
  const n = partsAt(zone, t).name;
  return /^[A-Za-z]{3,}$/.test(n) ? n : numericName(east);
}

/** Candidate date rules for a change whose local time (on the old offset) is `local`. */
function candidates(local: number): DateRule[] {
  const out: DateRule[] = [];
  const days = Math.floor(local / DAY);
  const sod = local - days * DAY;
  // Shift the day back (time + 24 h per day) or forward, smallest shift first, within ±167 h.
  for (const k of [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6]) {
    const time = sod + k * DAY;
    if (Math.abs(time) > 167 * 3600) continue;
    const d = new Date((days - k) * DAY * 1000);
    const month = d.getUTCMonth() + 1;
    const dom = d.getUTCDate();
    const wd = d.getUTCDay();
    const dim = new Date(Date.UTC(d.getUTCFullYear(), month, 0)).getUTCDate();
    const suffix = time === 7200 ? "" : "/" + hms(time);
    const weeks = [Math.ceil(dom / 7)];
    if (dom + 7 > dim) weeks.unshift(5);
    for (const w of weeks) {
      if (w > 5) continue;
      out.push({
        text: "M" + month + "." + w + "." + wd + suffix,
        instant: (year, before) => {
          const first = Date.UTC(year, month - 1, 1) / 1000 / DAY;
          const firstWd = new Date(first * DAY * 1000).getUTCDay();
          const monthDays = new Date(Date.UTC(year, month, 0)).getUTCDate();
          let day = first + ((wd - firstWd + 7) % 7) + 7 * (w - 1);
          if (day - first >= monthDays) day -= 7;
          return day * DAY + time - before;
        },
      });
    }
    const doy = days - k - Date.UTC(d.getUTCFullYear(), 0, 1) / 1000 / DAY;
    const leap = isLeap(d.getUTCFullYear());
    if (!(leap && doy === 59)) {
      const n = leap && doy > 59 ? doy : doy + 1;
      out.push({
        text: "J" + n + suffix,
        instant: (year, before) =>
          (Date.UTC(year, 0, 1) / 1000 / DAY + n - 1 + (isLeap(year) && n >= 60 ? 1 : 0)) * DAY +
          time -
          before,
      });
    }
    out.push({
      text: String(doy) + suffix,
      instant: (year, before) => (Date.UTC(year, 0, 1) / 1000 / DAY + doy) * DAY + time - before,
    });
  }
  return out;
}

function yearStart(year: number): number {
  return Date.UTC(year, 0, 1) / 1000;
}

/**
 * The POSIX TZ rule of IANA zone `zone` in force at UTC second `at`, checked against Intl over
 * the calendar years of `at` and the `years` − 1 after it. Throws when no rule of the grammar
 * matches (a zone with no yearly rule, or whose rule changes within those years).
 */
export function posixTzFromIana(zone: string, at: number, years = 10): string {
  const year = new Date(at * 1000).getUTCFullYear();
  const span = intlChanges(zone, yearStart(year), yearStart(year + years));
  const first = span.filter((c) => c.at < yearStart(year + 1));
  if (first.length === 0) {
    if (span.length !== 0)
      throw new Error(`${zone}: no change in ${year} but ${span.length} by ${year + years - 1}`);
    const east = intlOffset(zone, at);
    return zoneName(zone, at, east) + posixOffset(east);
  }
  if (first.length !== 2)
    throw new Error(`${zone}: ${first.length} offset changes in ${year}, a rule has 2`);
  const up = first[0].after > first[0].before ? first[0] : first[1];
  const down = up === first[0] ? first[1] : first[0];
  const std = down.after;
  const dst = up.after;
  if (up.before !== std || down.before !== dst || !(dst > std))
    throw new Error(`${zone}: changes in ${year} are not one summer time`);
  const byYear = (y: number, c: IntlChange[]) =>
    c.filter((x) => new Date(x.at * 1000).getUTCFullYear() === y);
  const pick = (change: IntlChange, dir: number): string => {
    for (const cand of candidates(change.at + change.before)) {
      let good = true;
      for (let y = year; y < year + years && good; y++) {
        const inYear = byYear(y, span);
        const match = inYear.filter((c) => Math.sign(c.after - c.before) === dir);
        good =
          inYear.length === 2 &&
          match.length === 1 &&
          match[0].before === change.before &&
          match[0].after === change.after &&
          cand.instant(y, change.before) === match[0].at;
      }
      if (good) return cand.text;
    }
    throw new Error(
      `${zone}: no date rule gives its ${dir > 0 ? "summer" : "standard"} time changes ${year}…${year + years - 1}`,
    );
  };
  const start = pick(up, 1);
  const end = pick(down, -1);
  const stdName = zoneName(zone, down.at, std);
  const dstName = zoneName(zone, up.at, dst);
  return (
    stdName +
    posixOffset(std) +
    dstName +
    (dst - std === 3600 ? "" : posixOffset(dst)) +
    "," +
    start +
    "," +
    end
  );
}
