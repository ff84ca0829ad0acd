// Cases left out of the language suite because they take a runtime down
// rather than answer: one of them in a run of the whole suite would leave
// nothing to compare. GET /?hazards runs them on their own (one at a time
// with ?hazards&id=ID). docs/engine-differences.md lists them; each goes
// back into cases.js once both runtimes answer it.
import { exprOf } from "./cases.js";

const entries = [
  // kiln: structuredClone of an object that refers to itself never returns,
  // and the process's memory grows until it is killed.
  ["clone.cyclic", () => {
    const o = { name: "o", list: [] };
    o.self = o;
    o.list.push(o);
    const c = structuredClone(o);
    return [c.self === c, c.list[0] === c, c !== o];
  }],
];

export const hazards = entries.map(([id, run]) => ({ id, expr: exprOf(run), run }));
