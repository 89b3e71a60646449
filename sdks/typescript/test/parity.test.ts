/**
 * Parity with the Python SDK: every public method of each Python resource exists on the
 * TypeScript client under its camelCase name, and nothing else is public there. The Python
 * side is read by introspection (the repository's .venv python imports `tavo`).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TavoSdk } from 'tavo-sdk';
import { REPO_ROOT } from './helpers.js';

const INTROSPECT = `
import inspect, json, typing
import tavo
client = tavo.TavoClient
resources = {}
for name, kind in typing.get_type_hints(client).items():
    if name.startswith('_'):
        continue
    resources[name] = sorted(n for n, _ in inspect.getmembers(kind, inspect.isfunction) if not n.startswith('_'))
members = sorted(n for n in dir(client) if not n.startswith('_'))
print(json.dumps({"resources": resources, "client": members}))
`;

const camel = (name: string): string => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
/** Where the TypeScript name differs from plain camelCase (axios's spelling of base URLs). */
const RENAMED: Record<string, string> = { baseUrl: 'baseURL' };

function publicMethods(object: object): string[] {
  return Object.getOwnPropertyNames(Object.getPrototypeOf(object))
    .filter((name) => name !== 'constructor' && typeof (object as Record<string, unknown>)[name] === 'function')
    .sort();
}

describe('parity with the Python SDK', () => {
  const python = process.env['TAVO_PYTHON'] ?? join(REPO_ROOT, '.venv', 'bin', 'python');
  const introspected = JSON.parse(execFileSync(python, ['-c', INTROSPECT], { encoding: 'utf8' })) as {
    resources: Record<string, string[]>;
    client: string[];
  };
  const client = TavoSdk.createClient({ apiKey: 'tavo_parity' });
  const lines: string[] = [];

  it('has the same resources', () => {
    assert.ok(Object.keys(introspected.resources).length >= 6, 'the Python client has its resources');
    for (const resource of Object.keys(introspected.resources)) {
      assert.ok(camel(resource) in client, `no client.${camel(resource)}`);
    }
  });

  for (const [resource, methods] of Object.entries(introspected.resources)) {
    it(`${resource} -> ${camel(resource)}: the same methods`, () => {
      const ts = publicMethods((client as unknown as Record<string, object>)[camel(resource)] as object);
      for (const method of methods) lines.push(`${resource}.${method}  ->  ${camel(resource)}.${camel(method)}`);
      assert.deepEqual(ts, methods.map(camel).sort());
    });
  }

  it('has the same client-level members', async () => {
    for (const member of introspected.client) {
      const name = RENAMED[camel(member)] ?? camel(member);
      assert.ok(name in client, `no client.${name} (Python: ${member})`);
      lines.push(`client.${member}  ->  client.${name}`);
    }
    console.log(lines.join('\n'));
    await client.close();
  });
});
