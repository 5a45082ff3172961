// The device-safe face of the protocol: no Node, no npm, the DEVICE-JS subset only.

export * from "./beacon";
export * from "./bytes";
export * from "./cbor";
export * from "./commands";
export * from "./cose";
export * from "./counters";
export * from "./downlink";
export * from "./errors";
export * from "./events";
export * from "./hmac";
export * from "./keys";
export * from "./sha256";
export * from "./sms-text";
export * from "./tag-command";
export * from "./topics";
export * from "./uplink";
