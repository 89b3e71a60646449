import pg from "pg";

const client = new pg.Client();
const COLUMNS = ["title", "published_at", "author"];

export function pageBySlug(slug) {
  return client.query(`SELECT * FROM pages WHERE slug = '${slug}'`); // tavo-label: vuln sql-injection
}

export function pageById(id) {
  return client.query("SELECT * FROM pages WHERE id = $1", [id]); // tavo-label: safe sql-injection
}

export function pagesSorted(column) {
  const order = COLUMNS.includes(column) ? column : "title";
  return client.query(`SELECT * FROM pages ORDER BY ${order}`); // tavo-label: safe sql-injection
}

export function pagesByTag(tag) {
  const where = "tag = '" + tag + "'";
  return runWhere(where);
}

function runWhere(where) {
  return client.query("SELECT * FROM pages WHERE " + where); // tavo-label: vuln sql-injection
}
