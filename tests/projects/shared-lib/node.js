export const chosen = "node";
