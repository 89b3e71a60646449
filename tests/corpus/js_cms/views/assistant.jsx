import { useChat } from "@ai-sdk/react";
import DOMPurify from "dompurify";

export function Transcript() {
  const { messages } = useChat();
  return (
    <section>
      {messages.map((message) => (
        <article key={message.id} dangerouslySetInnerHTML={{ __html: message.content }} /> // tavo-label: vuln insecure-output
      ))}
    </section>
  );
}

export function SafeTranscript() {
  const { messages } = useChat();
  return (
    <section>
      {messages.map((message) => (
        <article key={message.id} dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(message.content) }} /> // tavo-label: safe insecure-output
      ))}
    </section>
  );
}
