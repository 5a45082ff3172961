// The home unit's schedule engine: pure logic, time passed in as UTC seconds. See
// README-schedule.md for the semantics.

export * from "./exception";
export * from "./local-time";
export * from "./requirement";
export * from "./schedule";
export * from "./schedule-store";
export * from "./violation-detector";
