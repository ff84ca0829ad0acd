// node:string_decoder: the npm package `string_decoder` (Node's own
// StringDecoder, kept as a package by the Node.js streams team), with
// base64url (newer than the package) and Node's error for an unknown
// encoding.
import vendor from "kiln:node-vendor/string_decoder";

function toBase64url(text) {
  return text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export class StringDecoder extends vendor.StringDecoder {
  constructor(encoding) {
    const base64url = typeof encoding === "string" && encoding.toLowerCase() === "base64url";
    try {
      super(base64url ? "base64" : encoding);
    } catch (e) {
      if (e instanceof Error && /^Unknown encoding/.test(e.message)) {
        const error = new TypeError(e.message);
        error.code = "ERR_UNKNOWN_ENCODING";
        throw error;
      }
      throw e;
    }
    if (base64url) {
      // The package sets `end` on each instance, per encoding.
      const write = this.write;
      const end = this.end;
      this.write = (buffer) => toBase64url(write.call(this, buffer));
      this.end = (buffer) => toBase64url(end.call(this, buffer));
      this.encoding = "base64url";
    }
  }
}

export default { StringDecoder };
