// A scripted Espruino behind @serialport/binding-mock, for tests that assert the lab's exact
// bytes: every acknowledged line (espruino.ts `commandLine`) is answered with answer(expr), or
// not at all when it returns null; `sent` is everything that went down the wire.

import { SerialPortMock } from "serialport";

// serialport loads the binding's CommonJS build; an ESM import of @serialport/binding-mock would
// be a second copy with its own ports, so the mock is reached through SerialPortMock.
export const MockBinding = SerialPortMock.binding;

export type Answer = (expr: string) => string | null;

/**
 * `password`: the console is locked as a provisioned unit's is (E.setPassword, E.lockConsole):
 * every byte up to a newline, Ctrl-C and DLE included, is a password attempt of at most 20
 * characters, answered with Espruino's own words; the right one opens it.
 */
export async function mockDevice(
  answer: Answer,
  path = "/dev/em-mock",
  opts: { password?: string } = {},
): Promise<{ port: SerialPortMock; sent: () => string; locked: () => boolean }> {
  MockBinding.createPort(path, { echo: false, record: true });
  const port = new SerialPortMock({ path, baudRate: 115200 });
  await new Promise<void>((r) => port.on("open", () => r()));
  const binding = port.port!;
  let rx = "";
  let locked = opts.password !== undefined;
  let typed = "";
  const write = binding.write.bind(binding);
  binding.write = async (buf: Buffer) => {
    await write(buf);
    for (const ch of buf.toString("latin1")) {
      if (!locked) rx += ch;
      else if (ch === "\n" || ch === "\r") {
        locked = typed !== opts.password;
        typed = "";
        const reply = locked ? "\r\n  Invalid password\r\npassword>" : "\r\n  Logged in.\r\n";
        setImmediate(() => binding.emitData(reply));
      } else if (typed.length < 20) typed += ch;
    }
    for (let nl = rx.indexOf("\n"); nl >= 0; nl = rx.indexOf("\n")) {
      const line = rx.slice(0, nl);
      rx = rx.slice(nl + 1);
      if (line.charCodeAt(0) !== 0x10) continue;
      const m = /^.try\{print\("<<"\+"EM (\d+) "\+\((.*)\)\+">>"\)\}catch/.exec(line);
      if (!m) continue;
      const reply = answer(m[2]);
      if (reply !== null) setImmediate(() => binding.emitData(`<<EM ${m[1]} ${reply}>>\r\n`));
    }
  };
  return { port, sent: () => binding.recording.toString("latin1"), locked: () => locked };
}
