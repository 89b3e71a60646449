import { tool } from "@langchain/core/tools";
import { DynamicStructuredTool } from "@langchain/core/tools";
import { z } from "zod";
import { Pool } from "pg";
import { writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

const pool = new Pool();
const REPORTS = "/srv/reports";

export const lookupOrder = tool(
  async ({ orderId }) => {
    const { rows } = await pool.query(`SELECT * FROM orders WHERE id = '${orderId}'`); // tavo-label: vuln excessive-agency
    return JSON.stringify(rows);
  },
  { name: "lookup_order", schema: z.object({ orderId: z.string() }) },
);

export const lookupOrderSafe = tool(
  async ({ orderId }) => {
    const { rows } = await pool.query("SELECT * FROM orders WHERE id = $1", [orderId]); // tavo-label: safe excessive-agency
    return JSON.stringify(rows);
  },
  { name: "lookup_order_safe", schema: z.object({ orderId: z.string() }) },
);

export const saveNote = new DynamicStructuredTool({
  name: "save_note",
  description: "Save a note",
  schema: z.object({ name: z.string(), body: z.string() }),
  func: async ({ name, body }) => {
    writeFileSync(`${REPORTS}/${name}`, body); // tavo-label: vuln excessive-agency
    return "saved";
  },
});

export const diskUsage = new DynamicStructuredTool({
  name: "disk_usage",
  description: "Disk usage of the reports volume",
  schema: z.object({}),
  func: async () => spawnSync("df", ["-h", REPORTS]).stdout.toString(), // tavo-label: safe excessive-agency
});
