import { NextRequest, NextResponse } from "next/server";

const ALLOWED = ["https://status.example.com/health", "https://docs.example.com/index.json"];

export async function GET(request: NextRequest) {
  const target = request.nextUrl.searchParams.get("url");
  const upstream = await fetch(target!); // tavo-label: vuln ssrf
  return new NextResponse(await upstream.text());
}

export async function POST(request: NextRequest) {
  const { url } = await request.json();
  if (!ALLOWED.includes(url)) {
    return NextResponse.json({ error: "not allowed" }, { status: 400 });
  }
  const upstream = await fetch(url); // tavo-label: safe ssrf
  return new NextResponse(await upstream.text());
}

export async function PATCH(request: NextRequest) {
  const next = request.nextUrl.searchParams.get("next") ?? "/";
  return NextResponse.redirect(new URL(next, request.url)); // tavo-label: vuln open-redirect
}
