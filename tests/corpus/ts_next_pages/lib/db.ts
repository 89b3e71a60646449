import mysql from 'mysql2/promise';

const pool = mysql.createPool({ uri: process.env.DATABASE_URL });

export async function productsIn(category: string) {
  const [rows] = await pool.query(`SELECT * FROM products WHERE category = '${category}'`); // tavo-label: vuln sql-injection
  return rows;
}

export async function productsInSafe(category: string) {
  const [rows] = await pool.execute('SELECT * FROM products WHERE category = ?', [category]); // tavo-label: safe sql-injection
  return rows;
}
