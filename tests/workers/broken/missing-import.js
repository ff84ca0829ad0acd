import { nothing } from "./does-not-exist.js";
export default { fetch: () => new Response(nothing) };
