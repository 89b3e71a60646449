import mysql from "mysql2/promise";
import knexFactory from "knex";

const db = await mysql.createPool({ host: "db", user: "app", database: "support" });
const knex = knexFactory({ client: "mysql2" });
const STATUSES = ["open", "closed", "pending"];

export async function findTickets(status: string, owner: string) {
  const safeStatus = STATUSES.includes(status) ? status : "open";
  const [rows] = await db.query(`SELECT * FROM tickets WHERE status = '${safeStatus}' AND owner = ?`, [owner]); // tavo-label: safe sql-injection
  return rows;
}

export async function ticketById(id: number) {
  const [rows] = await db.execute("SELECT * FROM tickets WHERE id = ?", [id]); // tavo-label: safe sql-injection
  return (rows as any[])[0];
}

export async function closeTicket(id: string, reason: string) {
  await knex.raw(`UPDATE tickets SET status = 'closed', reason = '${reason}' WHERE id = ${id}`); // tavo-label: vuln sql-injection
  await knex("tickets").where({ id }).update({ closed_reason: reason }); // tavo-label: safe sql-injection
}

export async function logAnswer(question: string, answer: string) {
  await db.query("INSERT INTO answers (question, answer) VALUES (?, ?)", [question, answer]); // tavo-label: safe insecure-output
}

export async function storeTags(tags: string) {
  await db.query("INSERT INTO tags (names) VALUES ('" + tags + "')"); // tavo-label: vuln insecure-output
}
