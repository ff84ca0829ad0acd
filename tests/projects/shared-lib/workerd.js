import { secret } from "#internal";
export const chosen = "workerd";
export const internal = secret;
