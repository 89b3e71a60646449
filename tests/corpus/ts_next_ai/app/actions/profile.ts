"use server";

import { execSync } from "child_process";
import { Pool } from "pg";

const pool = new Pool();

export async function updateBio(userId: string, bio: string) {
  await pool.query(`UPDATE users SET bio = '${bio}' WHERE id = ${userId}`); // tavo-label: vuln sql-injection
}

export async function updateBioSafely(userId: string, bio: string) {
  await pool.query("UPDATE users SET bio = $1 WHERE id = $2", [bio, userId]); // tavo-label: safe sql-injection
}

export async function exportProfile(format: string) {
  execSync(`./export.sh --format ${format}`); // tavo-label: vuln command-injection
}
