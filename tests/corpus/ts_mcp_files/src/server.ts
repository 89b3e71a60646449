import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import fs from 'node:fs/promises';
import { validatePath } from './paths';

const server = new McpServer({ name: 'workspace-files', version: '1.0.0' });

server.tool('read_file', { path: z.string() }, async ({ path }) => {
  const valid = await validatePath(path);
  const text = await fs.readFile(valid, 'utf8'); // tavo-label: safe excessive-agency
  return { content: [{ type: 'text', text }] };
});

server.tool('read_any_file', { path: z.string() }, async ({ path }) => {
  const text = await fs.readFile(path, 'utf8'); // tavo-label: vuln excessive-agency
  return { content: [{ type: 'text', text }] };
});
