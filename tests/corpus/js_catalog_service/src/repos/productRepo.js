const { pool, knex } = require('../db');

const SORTS = { newest: 'created_at DESC', cheapest: 'price ASC' };

async function byIds(rawIds) {
  const ids = String(rawIds).split(',').map(Number).filter(Number.isInteger);
  const { rows } = await pool.query(`SELECT * FROM products WHERE id IN (${ids.join(',')})`); // tavo-label: safe sql-injection
  return rows;
}

async function byTags(rawTags) {
  const tags = String(rawTags).split(',').map((t) => `'${t}'`).join(',');
  const { rows } = await pool.query(`SELECT * FROM products WHERE tag IN (${tags})`); // tavo-label: vuln sql-injection
  return rows;
}

async function page(sortKey, pageNumber) {
  const order = SORTS[sortKey] ?? SORTS.newest;
  const offset = Math.max(0, parseInt(pageNumber, 10) || 0) * 20;
  const { rows } = await pool.query(`SELECT * FROM products ORDER BY ${order} OFFSET ${offset}`); // tavo-label: safe sql-injection
  return rows;
}

function sorted(column) {
  return knex('products').orderByRaw(column); // tavo-label: vuln sql-injection
}

function sortedSafe(column) {
  return knex('products').orderByRaw('?? desc', [column]); // tavo-label: safe sql-injection
}

module.exports = { byIds, byTags, page, sorted, sortedSafe };
