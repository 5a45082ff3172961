// Proves the ES5 path of the build on the engine at hand: class inheritance through our
// __extends, functions used above their declaration (Espruino does not hoist), and the other
// helpers tsc's ES5 output calls (__assign, __spreadArray, __rest). Compiled code, not syntax
// the engines parse, is what is checked here.

import { Colour, Rect, Shape, Square } from "./canary-shapes";
import { check, expectEqual } from "./harness";

// Called here, declared below: runs on Espruino only because the build hoists it.
const early = declaredLater(2);

function declaredLater(x: number): number {
  return x * 21;
}

export function es5Canary(): void {
  check("function used above its declaration", () => expectEqual(early, 42));
  check("class inheritance: instanceof along the chain", () => {
    const s = new Square(3);
    return s instanceof Square && s instanceof Rect && s instanceof Shape ? null : "instanceof";
  });
  check("class inheritance: override and super call", () =>
    expectEqual(new Square(3).describe(), "square/rect 9"),
  );
  check("class inheritance: constructor and fields", () => {
    const s = new Square(4);
    return s.constructor === Square && s.w === 4 && s.h === 4 ? null : "constructor or fields";
  });
  check("class inheritance: static methods are inherited", () =>
    expectEqual(Square.kind(), "shape"),
  );
  check("enum maps both ways", () =>
    expectEqual(Colour.Green + ":" + Colour[Colour.Green], "2:Green"),
  );
  check("object spread and rest (__assign, __rest)", () => {
    const base = { a: 1, b: 2 };
    const o = { ...base, c: 3 };
    const { a, ...others } = o;
    return expectEqual(a + ":" + others.b + others.c + ":" + ("a" in others), "1:23:false");
  });
  check("array spread over a typed array (__spreadArray)", () => {
    const bytes = new Uint8Array([7, 8]);
    return expectEqual([1, ...bytes, 9].join(","), "1,7,8,9");
  });
  check("closures capture each `let` of a loop", () => {
    const fns: (() => number)[] = [];
    for (let i = 0; i < 3; i++) fns.push(() => i);
    return expectEqual(fns[0]() + fns[1]() + fns[2](), 3);
  });
}
