// A device's life in the lab, as explicit states and the actions that move it. Everything the
// register refuses is refused here, before any SQL runs.

export type DeviceState = "in_stock" | "issued" | "lost" | "retired";
export type Action = "issue" | "return" | "lost" | "retire" | "reprovision" | "pair";
export type Condition = "working" | "damaged" | "lost";

const NEXT: Record<DeviceState, Partial<Record<Action, DeviceState>>> = {
  in_stock: {
    issue: "issued",
    lost: "lost",
    retire: "retired",
    reprovision: "in_stock",
    pair: "in_stock",
  },
  // A device in service is re-provisioned or re-paired only with --force and a reason (below).
  issued: { return: "in_stock", lost: "lost", reprovision: "issued", pair: "issued" },
  lost: { retire: "retired", return: "in_stock" },
  retired: {},
};

/** The state after `action`, or null when the register refuses it. */
export function nextState(state: DeviceState, action: Action): DeviceState | null {
  return NEXT[state][action] ?? null;
}

/** Actions that change a device in service: they need --force and a reason. */
export function needsForce(state: DeviceState, action: Action): boolean {
  return state === "issued" && (action === "reprovision" || action === "pair");
}

/**
 * A case reference, never a name: 3 to 32 of A–Z, 0–9, "/", "-" and ".", starting with a letter
 * or digit. A person's name (spaces, lowercase, letters outside A–Z) does not fit.
 */
export function isCaseRef(s: string): boolean {
  return /^[A-Z0-9][A-Z0-9/.-]{2,31}$/.test(s);
}
