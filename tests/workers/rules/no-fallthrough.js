import notes from "./notes.md";

export default {
  async fetch() {
    let page;
    try {
      page = (await import("./page.html")).default;
    } catch (e) {
      page = `${e.name}: ${e.message}`;
    }
    return Response.json({ notes, page });
  },
};
