// What TypeScript and Babel emit for `export default "..."` in CommonJS.
Object.defineProperty(exports, "__esModule", { value: true });
exports.default = "the default of a transpiled module";
