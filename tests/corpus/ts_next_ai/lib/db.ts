import { Pool } from "pg";
import { PrismaClient } from "@prisma/client";

const pool = new Pool();
const prisma = new PrismaClient();

export async function runQuery(query: string) {
  const { rows } = await pool.query(query); // tavo-label: vuln excessive-agency
  return rows;
}

export async function userByEmail(email: string) {
  return prisma.$queryRaw`SELECT * FROM users WHERE email = ${email}`; // tavo-label: safe sql-injection
}

export async function userByName(name: string) {
  return prisma.$queryRawUnsafe(`SELECT * FROM users WHERE name = '${name}'`); // tavo-label: vuln sql-injection
}
