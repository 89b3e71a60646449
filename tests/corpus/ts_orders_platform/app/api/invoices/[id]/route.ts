import { readFile } from 'node:fs/promises';
import path from 'node:path';

const INVOICES = '/srv/invoices';

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const pdf = await readFile(path.join(INVOICES, `${id}.pdf`)); // tavo-label: vuln path-traversal
  return new Response(pdf, { headers: { 'content-type': 'application/pdf' } });
}

export async function HEAD(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!/^[0-9a-f-]{36}$/.test(id)) return new Response(null, { status: 400 });
  const pdf = await readFile(path.join(INVOICES, `${id}.pdf`)); // tavo-label: safe path-traversal
  return new Response(null, { headers: { 'content-length': String(pdf.length) } });
}
