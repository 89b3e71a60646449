"use client";

import DOMPurify from "dompurify";
import { useChat, useCompletion } from "ai/react";

export function Answer() {
  const { completion } = useCompletion({ api: "/api/complete" });
  return <div className="answer" dangerouslySetInnerHTML={{ __html: completion }} />; // tavo-label: vuln insecure-output
}

export function SafeAnswer() {
  const { completion } = useCompletion({ api: "/api/complete" });
  return <div dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(completion) }} />; // tavo-label: safe insecure-output
}

export function PlainAnswer() {
  const { messages } = useChat();
  return <ul>{messages.map((m) => <li key={m.id}>{m.content}</li>)}</ul>; // tavo-label: safe insecure-output
}

export function Preview({ html }: { html: string }) {
  const ref = (el: HTMLDivElement | null) => {
    if (el) {
      el.innerHTML = window.location.hash.slice(1) ? html : ""; // tavo-label: safe xss
    }
  };
  return <div ref={ref} />;
}
