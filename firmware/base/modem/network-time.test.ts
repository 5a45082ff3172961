import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff";
import { networkTimeMs, parseNetworkTime, TimeReject } from "./network-time";

const T = Date.UTC(2024, 9, 27, 1, 30, 15) / 1000;

describe("network time", () => {
  it("reads every form as UTC", () => {
    expect(parseNetworkTime('*PSUTTZ: 2024,10,27,1,30,15,"+12",1')).toBe(T);
    expect(parseNetworkTime('+CCLK: "24/10/27,04:30:15+12"')).toBe(T);
    expect(parseNetworkTime('+CCLK: "24/10/26,23:30:15-08"')).toBe(T + 0);
    expect(parseNetworkTime("+CTZV: +12,24/10/27,04:30:15,1")).toBe(T);
    expect(parseNetworkTime('+CTZE: "+12",1,"2024/10/27,04:30:15"')).toBe(T);
    expect(networkTimeMs('*PSUTTZ: 2024,10,27,1,30,15,"+12",1')).toBe(T * 1000);
  });

  it("says why a line gave no time", () => {
    expect(parseNetworkTime("+CTZV: +12")).toBe(TimeReject.noTime);
    expect(parseNetworkTime("DST: 1")).toBe(TimeReject.noTime);
    const bad = [
      "*PSUTTZ: 2024,10,27,24,30,15",
      "*PSUTTZ: 2024,2,30,1,30,15",
      "*PSUTTZ: 2024,10,27,1,30",
      "*PSUTTZ: 2024,1x,27,1,30,15",
      '+CCLK: "24/10/27 04:30:15"',
      '+CCLK: "24/10/27,04:30:15+99"',
      "+CTZV: +1a",
      "+CTZV: +12,24/10/27",
      "+CTZE: garbage",
      "+COPS: 0",
      "",
    ];
    for (let i = 0; i < bad.length; i++)
      expect([bad[i], parseNetworkTime(bad[i])]).toEqual([bad[i], TimeReject.malformed]);
    expect(networkTimeMs('+CCLK: "04/01/01,00:00:07+00"')).toBe(TimeReject.tooEarly);
  });
});

describe("backoff", () => {
  it("doubles up to the cap and adds bounded jitter", () => {
    const b = { baseMs: 1000, capMs: 5000, jitter: 0.25 };
    const zero = (): number => 0;
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(b, n, zero))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
    expect(backoffDelay(b, 2, () => 0.999)).toBe(2000 + 499);
    expect(backoffDelay(b, 1, () => Number.NaN)).toBe(1000);
  });
});
