// node:string_decoder: the npm package `string_decoder` (Node's own
// StringDecoder, kept as a package by the Node.js streams team).
import vendor from "kiln:node-vendor/string_decoder";

export const StringDecoder = vendor.StringDecoder;
export default { StringDecoder };
