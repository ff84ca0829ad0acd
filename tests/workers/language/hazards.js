// Cases left out of the language suite because they take a runtime down
// rather than answer: one of them in a run of the whole suite would leave
// nothing to compare. GET /?hazards runs them on their own (one at a time
// with ?hazards&id=ID). docs/engine-differences.md lists them; each goes
// back into cases.js once both runtimes answer it.
import { exprOf } from "./cases.js";

const entries = [
];

export const hazards = entries.map(([id, run]) => ({ id, expr: exprOf(run), run }));
