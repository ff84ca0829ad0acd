// node:path/posix: node:path itself, as Workers serve it on Linux.
import path from "node:path";
export * from "node:path";
export default path;
