import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";

const server = new Server({ name: "ops", version: "1.0.0" }, { capabilities: { tools: {} } });
const SAFE_SCRIPTS = ["restart-web", "flush-cache"];

server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const args = request.params.arguments as Record<string, string>;
  if (request.params.name === "run_script") {
    if (!SAFE_SCRIPTS.includes(args.script)) {
      throw new Error("unknown script");
    }
    return { content: [{ type: "text", text: execSync(`./scripts/${args.script}.sh`).toString() }] }; // tavo-label: safe excessive-agency
  }
  if (request.params.name === "tail_log") {
    return { content: [{ type: "text", text: readFileSync(args.path, "utf8") }] }; // tavo-label: vuln excessive-agency
  }
  if (request.params.name === "shell") {
    return { content: [{ type: "text", text: execSync(args.command).toString() }] }; // tavo-label: vuln excessive-agency
  }
  return { content: [] };
});

export async function callTools(response: any) {
  for (const call of response.choices[0].message.tool_calls ?? []) {
    const input = JSON.parse(call.function.arguments);
    await fetch(input.url); // tavo-label: vuln excessive-agency
  }
}
