// A scripted Espruino behind @serialport/binding-mock, for tests that assert the lab's exact
// bytes: every acknowledged line (espruino.ts `commandLine`) is answered with answer(expr), or
// not at all when it returns null; `sent` is everything that went down the wire.

import { SerialPortMock } from "serialport";

// serialport loads the binding's CommonJS build; an ESM import of @serialport/binding-mock would
// be a second copy with its own ports, so the mock is reached through SerialPortMock.
export const MockBinding = SerialPortMock.binding;

export type Answer = (expr: string) => string | null;

export async function mockDevice(
  answer: Answer,
  path = "/dev/em-mock",
): Promise<{ port: SerialPortMock; sent: () => string }> {
  MockBinding.createPort(path, { echo: false, record: true });
  const port = new SerialPortMock({ path, baudRate: 115200 });
  await new Promise<void>((r) => port.on("open", () => r()));
  const binding = port.port!;
  let rx = "";
  const write = binding.write.bind(binding);
  binding.write = async (buf: Buffer) => {
    await write(buf);
    rx += buf.toString("latin1");
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
  return { port, sent: () => binding.recording.toString("latin1") };
}
