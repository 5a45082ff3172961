// The host face: node:crypto and fast paths for servers, the simulator and lab tools. Frames are
// byte-identical with the device core (held so by protocol/vectors).

export * from "./beacon";
export * from "./envelope";
export * from "./keyring";
export * from "./node-crypto";
