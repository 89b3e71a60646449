// A Next.js-style route handler with the same mistakes on the TypeScript side.
import { generateText } from "ai";
import { openai } from "@ai-sdk/openai";
import OpenAI from "openai";

const browserClient = new OpenAI({ apiKey: process.env.NEXT_PUBLIC_OPENAI_KEY, dangerouslyAllowBrowser: true });

export async function POST(req: Request) {
  const body = await req.json();
  const { text } = await generateText({
    model: openai("gpt-4o-mini"),
    system: `You are a helpful assistant for ${body.company}.`,
    prompt: `Summarise this: ${body.document}`,
  });
  const render = new Function("data", text);
  document.getElementById("out")!.innerHTML = text;
  return Response.json({ html: render(body) });
}

export { browserClient };
