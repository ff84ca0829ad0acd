// a and b require each other: b sees a's exports as far as a got.
exports.name = "a";
const b = require("./b");
exports.describe = () => `a sees ${b.name}, b saw ${b.sawA}`;
