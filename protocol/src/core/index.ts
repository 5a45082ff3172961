// The device-safe face of the protocol: no Node, no npm, the DEVICE-JS subset only.

export * from "./beacon.js";
export * from "./bytes.js";
export * from "./cbor.js";
export * from "./challenge.js";
export * from "./commands.js";
export * from "./cose.js";
export * from "./counters.js";
export * from "./downlink.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./hmac.js";
export * from "./keys.js";
export * from "./sha256.js";
export * from "./sms-text.js";
export * from "./tag-command.js";
export * from "./topics.js";
export * from "./uplink.js";
