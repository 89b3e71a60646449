import OpenAI from 'openai';
import { writeFile, readFile } from 'node:fs/promises';
import { execSync } from 'node:child_process';
import path from 'node:path';

const client = new OpenAI();
const WORKDIR = '/srv/agent';

const handlers: Record<string, (args: any) => Promise<string>> = {
  async write_file({ filename, content }) {
    await writeFile(path.join(WORKDIR, filename), content); // tavo-label: vuln excessive-agency
    return 'ok';
  },
  async read_file({ filename }) {
    const full = path.resolve(WORKDIR, filename);
    if (!full.startsWith(WORKDIR + path.sep)) return 'denied';
    return readFile(full, 'utf8'); // tavo-label: safe excessive-agency
  },
  async shell({ command }) {
    return execSync(command).toString(); // tavo-label: vuln excessive-agency
  },
};

export async function run(task: string) {
  const messages: any[] = [{ role: 'user', content: task }];
  for (let i = 0; i < 10; i++) {
    const res = await client.chat.completions.create({ model: 'gpt-4o', messages, tools: [], max_tokens: 800 });
    const msg = res.choices[0].message;
    messages.push(msg);
    if (!msg.tool_calls?.length) return msg.content;
    for (const call of msg.tool_calls) {
      const args = JSON.parse(call.function.arguments);
      const out = await handlers[call.function.name](args);
      messages.push({ role: 'tool', tool_call_id: call.id, content: out });
    }
  }
}

export async function direct(task: string) {
  const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: task }], tools: [], max_tokens: 800 });
  for (const call of res.choices[0].message.tool_calls ?? []) {
    if (call.function.name === 'delete') {
      const { target } = JSON.parse(call.function.arguments);
      execSync(`rm -rf ${target}`); // tavo-label: vuln excessive-agency
    }
  }
}
