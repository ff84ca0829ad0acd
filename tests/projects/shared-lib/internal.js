export const secret = "from #internal";
