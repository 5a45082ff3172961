import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { dropMessages, type MessageArgument } from "./drop-messages";

const root = join(import.meta.dirname, "..", "..");
const RULES: MessageArgument[] = [
  { name: "fail", index: 1, declaredIn: "protocol/src/core/errors.ts" },
  { name: "malformed", index: 0, declaredIn: "firmware/base/schedule/schedule.ts" },
];

function strip(source: string, file: string): string {
  const r = ts.transpileModule(source, {
    fileName: join(root, file),
    transformers: { before: [dropMessages(RULES)] },
    compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.ESNext },
  });
  return r.outputText;
}

describe("message dropping", () => {
  it("drops the message of a rule's function where it is imported from the rule's file", () => {
    const out = strip(
      `import { fail, ErrorCode } from "@em-platform/protocol/core/errors";
export const a = fail(ErrorCode.badMac, "mac " + (x[0] >> 4) + \`at \${x.length}\`);
export const b = fail(ErrorCode.badMac, describe(x));
export const c = fail(ErrorCode.badMac);`,
      "firmware/base/x.ts",
    );
    expect(out).toContain("fail(ErrorCode.badMac);");
    // A message that calls something could have an effect: kept.
    expect(out).toContain("fail(ErrorCode.badMac, describe(x))");
    expect(out).not.toContain("mac ");
  });

  it("drops it where the rule's file declares the function", () => {
    const out = strip(
      `function malformed(message: string) { return { ok: false, message: message }; }
export const r = malformed("unknown key " + k);`,
      "firmware/base/schedule/schedule.ts",
    );
    expect(out).toContain("malformed()");
  });

  it("leaves a function of the same name from anywhere else alone", () => {
    const elsewhere = `function malformed(message: string) { return message; }
export const r = malformed("kept");`;
    expect(strip(elsewhere, "firmware/base/other.ts")).toContain('malformed("kept")');
    const imported = `import { fail } from "./my-errors";
export const r = fail(1, "kept");`;
    expect(strip(imported, "firmware/base/x.ts")).toContain('fail(1, "kept")');
    const shadowed = `import { fail } from "@em-platform/protocol/core/errors";
export function f(fail: (c: number, m: string) => string) { return fail(1, "kept"); }`;
    expect(strip(shadowed, "firmware/base/x.ts")).toContain('fail(1, "kept")');
  });
});
