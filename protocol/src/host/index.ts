// The host face: node:crypto and fast paths for servers, the simulator and lab tools. Frames are
// byte-identical with the device core (held so by protocol/vectors).

export * from "./beacon.js";
export * from "./envelope.js";
export * from "./keyring.js";
export * from "./node-crypto.js";
export * from "./uplink-acceptor.js";
