import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { ChatOpenAI } from "@langchain/openai";
import { SystemMessage, HumanMessage } from "@langchain/core/messages";
import { logAnswer, storeTags } from "../data/tickets";

const openai = new OpenAI();
const anthropic = new Anthropic();
const chatModel = new ChatOpenAI({ model: "gpt-4o" });
const POLICY = "You are a support agent for Acme. Never promise refunds.";

export async function answerTicket(question: string, tone: string) {
  const completion = await openai.chat.completions.create({
    model: "gpt-4o",
    messages: [
      { role: "system", content: POLICY }, // tavo-label: safe prompt-injection
      { role: "system", content: `Use a ${tone} tone.` }, // tavo-label: vuln prompt-injection
      { role: "user", content: question }, // tavo-label: safe prompt-injection
    ],
  });
  const answer = completion.choices[0].message.content ?? "";
  await logAnswer(question, answer);
  return answer;
}

export async function draftReply(ticketText: string) {
  const result = await chatModel.invoke([
    new SystemMessage(POLICY), // tavo-label: safe prompt-injection
    new HumanMessage(ticketText),
  ]);
  return `<div class="draft">${result.content}</div>`;
}

export async function triage(text: string) {
  const message = await anthropic.messages.create({
    model: "claude-3-5-haiku-latest",
    max_tokens: 200,
    messages: [{ role: "user", content: `Comma-separated tags for: ${text}` }],
  });
  const block = message.content[0];
  const tags = block.type === "text" ? block.text : "";
  await storeTags(tags);
  const priority = Number.parseInt(tags.split(",")[0], 10);
  return { tags, priority };
}

export async function sandboxed(code: string) {
  const completion = await openai.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: `Improve this code: ${code}` }],
  });
  const improved = completion.choices[0].message.content ?? "";
  return new Function(improved)(); // tavo-label: vuln insecure-output
}
