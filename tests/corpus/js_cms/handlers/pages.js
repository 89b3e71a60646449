import * as lib from "../lib/index.js";
import { html } from "../lib/index.js";

export function register(app) {
  app.get("/p/:slug", async (req, res) => {
    res.json(await lib.pageBySlug(req.params.slug));
  });

  app.get("/p/id/:id", async (req, res) => {
    res.json(await lib.pageById(req.params.id));
  });

  app.get("/pages", async (req, res) => {
    res.json(await lib.pagesSorted(req.query.sort));
  });

  app.get("/tags/:tag", async (req, res) => {
    res.json(await lib.pagesByTag(req.params.tag));
  });

  app.get("/card", (req, res) => {
    res.send(html.card(req.query.title)); // tavo-label: vuln xss
  });

  app.get("/card-clean", (req, res) => {
    res.send(html.cleanCard(req.query.title)); // tavo-label: safe xss
  });

  app.post("/media/resize", (req, res) => {
    lib.resize(req.body.file, req.body.width);
    lib.resizeSafe(req.body.file, req.body.width);
    res.sendStatus(202);
  });

  app.post("/media/probe", (req, res) => {
    lib.probe(req.body.file);
    res.sendStatus(202);
  });

  app.get("/media/:name", async (req, res) => {
    res.send(await lib.readMedia(req.params.name));
  });

  app.get("/media-safe/:name", async (req, res) => {
    res.send(await lib.readMediaSafe(req.params.name));
  });
}

export function registerSearch(app, db) {
  app.get("/search", (req, res) => {
    const terms = String(req.query.q).split(" ");
    const clauses = terms.map((term) => `title LIKE '%${term}%'`);
    db.query("SELECT * FROM pages WHERE " + clauses.join(" OR ")).then((rows) => res.json(rows)); // tavo-label: vuln sql-injection
  });

  app.get("/search/ids", (req, res) => {
    const ids = String(req.query.ids).split(",").map((id) => parseInt(id, 10));
    db.query(`SELECT * FROM pages WHERE id IN (${ids.join(",")})`).then((rows) => res.json(rows)); // tavo-label: safe sql-injection
  });

  app.post("/bulk", (req, res) => {
    const { items = [] } = req.body;
    items.forEach((item) => {
      db.query(`UPDATE pages SET title = '${item.title}' WHERE id = ${item.id}`); // tavo-label: vuln sql-injection
    });
    res.sendStatus(204);
  });

  app.get("/export", (req, res) => {
    const name = String(req.query.name).replace(/[^a-z0-9]/gi, "");
    res.download(`/srv/exports/${name}.csv`); // tavo-label: safe path-traversal
  });
}
