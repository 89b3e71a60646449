const { Pool } = require("pg");
const mysql = require("mysql2/promise");
const knex = require("knex")({ client: "pg" });

const pool = new Pool();
const SORTABLE = ["name", "created_at"];

async function findByName(name) {
  const sql = "SELECT * FROM users WHERE name = '" + name + "'";
  const { rows } = await pool.query(sql); // tavo-label: vuln sql-injection
  return rows;
}

async function findById(id) {
  const { rows } = await pool.query("SELECT * FROM users WHERE id = $1", [id]); // tavo-label: safe sql-injection
  return rows[0];
}

async function search(q, sort) {
  const connection = await mysql.createConnection({ host: "db" });
  const column = SORTABLE.includes(sort) ? sort : "name";
  const [rows] = await connection.execute(`SELECT * FROM users WHERE bio LIKE ? ORDER BY ${column}`, [`%${q}%`]); // tavo-label: safe sql-injection
  return rows;
}

async function sortedBy(column) {
  return knex.raw(`SELECT * FROM users ORDER BY ${column}`); // tavo-label: vuln sql-injection
}

module.exports = { findByName, findById, search, sortedBy };
