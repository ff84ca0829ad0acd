import secret from "../../../Cargo.toml";
export default { fetch: () => new Response(String(secret)) };
