export const chosen = "default";
