// The seam between the MQTT client (firmware/base/mqtt) and whatever carries its bytes: the
// modem driver's single TCP socket on a device, a node:net socket in a test. One connection at a
// time; callbacks, no Promises (device code).
//
// Rules both sides keep:
// - `open` calls `done` exactly once. After done(true) the link is up until `onClose` fires or
//   the user calls `close`.
// - `write` calls `done` exactly once: true when the bytes were accepted by the transport (the
//   modem said SEND OK / the OS took them), false when they were not (the link is then closing).
//   Writes are delivered in order; a new write may be issued before the previous one's done.
// - `onClose` fires once per opened connection when the far end, the network or the modem ends it
//   — not after the user's own `close`.
// - Received bytes arrive through `onData` in chunks of any size, in order.
export interface TcpLink {
  open(host: string, port: number, done: (ok: boolean) => void): void;
  write(data: Uint8Array, done: (ok: boolean) => void): void;
  close(): void;
  onData(fn: (chunk: Uint8Array) => void): void;
  onClose(fn: () => void): void;
  /** True while a connection is open. */
  isOpen(): boolean;
}
