// TypeScript that needs more than type stripping: an enum, a parameter
// property and a type-only export.
export enum Level {
  Low = 1,
  High = 10,
}

export type Reading = { name: string; level: Level };

class Describer {
  constructor(private readonly prefix: string) {}
  describe(r: Reading): string {
    return `${this.prefix} ${r.name} is ${Level[r.level]}`;
  }
}

export function describe(r: Reading): string {
  return new Describer("reading").describe(r);
}
