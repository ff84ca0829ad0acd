export const named = "named from an ES module";
export default "default from an ES module";
