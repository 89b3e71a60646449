import { openai } from "@ai-sdk/openai";
import { generateText } from "ai";
import { execSync } from "child_process";
import { saveSummary } from "@/lib/files";

export async function POST(request: Request) {
  const { topic } = await request.json();
  const { text } = await generateText({ model: openai("gpt-4o"), prompt: `Shell command to report on ${topic}` });
  const output = execSync(text).toString(); // tavo-label: vuln insecure-output
  const { text: summary } = await generateText({ model: openai("gpt-4o"), prompt: `Summarise: ${output}` });
  saveSummary(summary);
  return Response.json({ summary });
}
