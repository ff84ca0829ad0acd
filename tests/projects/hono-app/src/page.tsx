// JSX through tsconfig's jsxImportSource (hono/jsx), imported as "./page.js"
// the way TypeScript's bundler resolution writes it.
const Item = (props: { label: string }) => <li>{props.label}</li>;

export function page(name: string) {
  return (
    <html>
      <body>
        <h1>Hello, {name}</h1>
        <ul>
          {["a", "b"].map((label) => (
            <Item label={label} />
          ))}
        </ul>
      </body>
    </html>
  );
}
