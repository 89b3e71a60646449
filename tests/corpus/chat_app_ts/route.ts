// A Next.js route: chat with tools over the shop's orders (Vercel AI SDK).
import { openai } from "@ai-sdk/openai";
import { generateText, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";
import { db } from "@/lib/db";
import { requireRole } from "@/lib/auth";

const ALLOWED_MODELS: Record<string, string> = { fast: "gpt-4o-mini", smart: "gpt-4o" };

const deleteOrder = tool({ // tavo-label: vuln excessive-agency
  description: "Delete an order",
  inputSchema: z.object({ orderId: z.string() }),
  execute: async ({ orderId }) => db.order.delete({ where: { id: orderId } }),
});

const archiveOrder = tool({ // tavo-label: safe excessive-agency
  description: "Archive an order (staff only)",
  inputSchema: z.object({ orderId: z.string() }),
  execute: async ({ orderId }) => {
    await requireRole("staff");
    return db.order.delete({ where: { id: orderId } });
  },
});

const lookupOrder = tool({ // tavo-label: vuln excessive-agency
  description: "Look up an order",
  execute: async (input: unknown) => db.order.findFirst({ where: input as object }),
});

export async function POST(req: Request) {
  const body = await req.json();
  const model = ALLOWED_MODELS[body.tier] ?? "gpt-4o-mini";
  const summary = await generateText({ model: openai(model), prompt: body.prompt }); // tavo-label: vuln unbounded-consumption
  const result = streamText({ // tavo-label: safe unbounded-consumption
    model: openai(model),
    system: "You are the Acme order assistant.",
    messages: body.messages,
    tools: { deleteOrder, archiveOrder, lookupOrder },
    stopWhen: stepCountIs(4),
    maxOutputTokens: 800,
    abortSignal: req.signal,
  });
  void summary;
  return result.toTextStreamResponse();
}
