// A small class hierarchy for the ES5 canary. Compiled to ES5 each class becomes
// `var Square = (function (_super) { __extends(Square, _super); function Square() {…} …})(Rect)`,
// which only works on Espruino once the build has hoisted `function Square` above the
// `__extends` call and supplied its own __extends.

export class Shape {
  constructor(readonly label: string) {}
  static kind(): string {
    return "shape";
  }
  area(): number {
    return 0;
  }
  describe(): string {
    return this.label + " " + this.area();
  }
}

export class Rect extends Shape {
  constructor(
    readonly w: number,
    readonly h: number,
  ) {
    super("rect");
  }
  area(): number {
    return this.w * this.h;
  }
}

export class Square extends Rect {
  constructor(side: number) {
    super(side, side);
  }
  describe(): string {
    return "square/" + super.describe();
  }
}

export enum Colour {
  Red = 1,
  Green,
}
