import { openai } from "@ai-sdk/openai";
import { generateText, streamText, tool } from "ai";
import { z } from "zod";
import { runQuery } from "@/lib/db";
import { systemFor } from "@/lib/prompts";

const RULES = "You are Acme's assistant. Answer only questions about Acme.";

export async function POST(request: Request) {
  const { message, persona } = await request.json();
  const result = await generateText({
    model: openai("gpt-4o"),
    system: RULES, // tavo-label: safe prompt-injection
    prompt: message,
  });
  const styled = await generateText({
    model: openai("gpt-4o"),
    system: `${RULES} Reply as ${persona}.`, // tavo-label: vuln prompt-injection
    prompt: message,
  });
  return Response.json({ text: result.text, styled: styled.text });
}

export async function PUT(request: Request) {
  const body = await request.json();
  const stream = streamText({
    model: openai("gpt-4o"),
    messages: [
      { role: "system", content: systemFor(body.team) }, // tavo-label: vuln prompt-injection
      { role: "user", content: body.message },
    ],
    tools: {
      sql: tool({
        description: "Run a read-only SQL query",
        parameters: z.object({ query: z.string() }),
        execute: async ({ query }) => runQuery(query),
      }),
      weather: tool({
        description: "Weather for a city",
        parameters: z.object({ city: z.string() }),
        execute: async ({ city }) => fetch(`https://api.weather.example/v1?city=${encodeURIComponent(city)}`), // tavo-label: safe excessive-agency
      }),
    },
  });
  return stream.toTextStreamResponse();
}
