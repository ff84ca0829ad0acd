export const greeting = "hello from lib.js";
