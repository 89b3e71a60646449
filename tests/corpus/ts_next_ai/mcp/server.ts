import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import fs from "node:fs";
import path from "node:path";
import { exec } from "node:child_process";

const server = new McpServer({ name: "files", version: "1.0.0" });
const ROOT = "/srv/shared";

server.tool("read_file", { file: z.string() }, async ({ file }) => {
  const text = fs.readFileSync(file, "utf8"); // tavo-label: vuln excessive-agency
  return { content: [{ type: "text", text }] };
});

server.tool("read_shared", { name: z.string() }, async ({ name }) => {
  const text = fs.readFileSync(path.join(ROOT, path.basename(name)), "utf8"); // tavo-label: safe excessive-agency
  return { content: [{ type: "text", text }] };
});

server.tool("run", { command: z.string() }, async ({ command }) => {
  return new Promise((resolve) => {
    exec(command, (error, stdout) => resolve({ content: [{ type: "text", text: stdout }] })); // tavo-label: vuln excessive-agency
  });
});

server.tool("status", {}, async () => {
  exec("uptime", (error, stdout) => console.log(stdout)); // tavo-label: safe excessive-agency
  return { content: [{ type: "text", text: "ok" }] };
});
