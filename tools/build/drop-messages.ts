// Failures in device code carry a code the logic branches on and reports, and an English message
// that only helps a person reading a result in a test or at a console. No device code reads a
// message (the units report codes; events carry codes, not text), so a build for a tight budget
// drops the message argument of the functions that build failures, and any text that would have
// been concatenated into it.
//
// Calls are matched by name, so each rule names the one file that defines the function: in any
// other file the name must be imported from there, or the file is left as it is. An argument is
// dropped only when it is the last one and evaluating it cannot do anything but build a value
// (literals, names, property reads, arithmetic, `?:`, templates), so no effect is lost with it.

import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import ts from "typescript";

export interface MessageArgument {
  /** The function's name, as declared and imported. */
  name: string;
  /** Zero-based position of the message: dropped only when it is the last argument. */
  index: number;
  /** The file that declares the function, relative to the repository root. */
  declaredIn: string;
}

export const MESSAGE_ARGUMENTS: MessageArgument[] = [
  { name: "fail", index: 1, declaredIn: "protocol/src/core/errors.ts" },
  { name: "setErr", index: 2, declaredIn: "protocol/src/core/cbor.ts" },
  { name: "rejection", index: 2, declaredIn: "firmware/base/schedule/schedule.ts" },
  { name: "malformed", index: 0, declaredIn: "firmware/base/schedule/schedule.ts" },
  { name: "malformed", index: 0, declaredIn: "firmware/base/schedule/exception.ts" },
];

const root = join(import.meta.dirname, "..", "..");

function sameFile(a: string, b: string): boolean {
  const strip = (p: string) => p.replace(/\.[jt]s$/, "");
  return strip(resolve(a)) === strip(resolve(b));
}

/** Operators that only compute, on the numbers and strings messages are built from. */
const ARITHMETIC = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.PlusToken,
  ts.SyntaxKind.MinusToken,
  ts.SyntaxKind.AsteriskToken,
  ts.SyntaxKind.SlashToken,
  ts.SyntaxKind.PercentToken,
  ts.SyntaxKind.AmpersandToken,
  ts.SyntaxKind.BarToken,
  ts.SyntaxKind.CaretToken,
  ts.SyntaxKind.LessThanLessThanToken,
  ts.SyntaxKind.GreaterThanGreaterThanToken,
  ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
]);

/** Whether evaluating `e` can only compute a value (no calls, assignments, `new`, …). */
function isPure(e: ts.Expression): boolean {
  if (
    ts.isStringLiteral(e) ||
    ts.isNumericLiteral(e) ||
    ts.isNoSubstitutionTemplateLiteral(e) ||
    ts.isIdentifier(e) ||
    e.kind === ts.SyntaxKind.TrueKeyword ||
    e.kind === ts.SyntaxKind.FalseKeyword ||
    e.kind === ts.SyntaxKind.NullKeyword ||
    e.kind === ts.SyntaxKind.ThisKeyword
  )
    return true;
  if (ts.isParenthesizedExpression(e)) return isPure(e.expression);
  if (ts.isPropertyAccessExpression(e)) return isPure(e.expression);
  if (ts.isElementAccessExpression(e)) return isPure(e.expression) && isPure(e.argumentExpression);
  if (ts.isBinaryExpression(e))
    return ARITHMETIC.has(e.operatorToken.kind) && isPure(e.left) && isPure(e.right);
  if (ts.isConditionalExpression(e))
    return isPure(e.condition) && isPure(e.whenTrue) && isPure(e.whenFalse);
  if (ts.isTemplateExpression(e)) return e.templateSpans.every((s) => isPure(s.expression));
  if (ts.isPrefixUnaryExpression(e))
    return (
      (e.operator === ts.SyntaxKind.MinusToken || e.operator === ts.SyntaxKind.ExclamationToken) &&
      isPure(e.operand)
    );
  return false;
}

/** Where an import leads: a relative path, or a package (the protocol is imported by name);
 * null for a package that does not resolve from here. */
function resolveSpecifier(fromFile: string, specifier: string): string | null {
  if (specifier.startsWith(".")) return resolve(fromFile, "..", specifier);
  try {
    return createRequire(fromFile).resolve(specifier);
  } catch {
    return null;
  }
}

/**
 * The rules that apply in `file`: a name declared there by its rule, or imported from its rule's
 * file. A file that also binds the name some other way (a parameter, a variable, another import)
 * gets none for that name.
 */
function rulesFor(file: ts.SourceFile, rules: MessageArgument[]): Map<string, number> {
  const here = new Map<string, number>();
  const other = new Set<string>();
  const fileName = isAbsolute(file.fileName) ? file.fileName : join(root, file.fileName);
  const ruleFor = (name: string, from: string) =>
    rules.find((r) => r.name === name && sameFile(join(root, r.declaredIn), from));
  for (const s of file.statements) {
    if (ts.isFunctionDeclaration(s) && s.name) {
      const r = ruleFor(s.name.text, fileName);
      if (r) here.set(r.name, r.index);
    }
    if (
      ts.isImportDeclaration(s) &&
      ts.isStringLiteral(s.moduleSpecifier) &&
      s.importClause?.namedBindings &&
      ts.isNamedImports(s.importClause.namedBindings)
    )
      for (const el of s.importClause.namedBindings.elements) {
        const imported = (el.propertyName ?? el.name).text;
        const from = resolveSpecifier(fileName, s.moduleSpecifier.text);
        const r = from !== null && ruleFor(imported, from);
        if (r && el.name.text === r.name) here.set(r.name, r.index);
      }
  }
  const look = (n: ts.Node): void => {
    const declared =
      (ts.isParameter(n) || ts.isVariableDeclaration(n)) && ts.isIdentifier(n.name)
        ? n.name.text
        : (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n)) && n.name && n.parent !== file
          ? n.name.text
          : null;
    if (declared !== null) other.add(declared);
    ts.forEachChild(n, look);
  };
  look(file);
  for (const name of other) here.delete(name);
  return here;
}

export function dropMessages(
  rules: MessageArgument[] = MESSAGE_ARGUMENTS,
): ts.TransformerFactory<ts.SourceFile> {
  return (context) => (file) => {
    const here = rulesFor(file, rules);
    if (here.size === 0) return file;
    const visit = (node: ts.Node): ts.Node => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
        const index = here.get(node.expression.text);
        const args = node.arguments;
        if (index !== undefined && args.length === index + 1 && isPure(args[index]))
          return context.factory.updateCallExpression(
            node,
            node.expression,
            node.typeArguments,
            args.slice(0, index).map((a) => ts.visitNode(a, visit) as ts.Expression),
          );
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(file, visit) as ts.SourceFile;
  };
}
