import express from "express";
import { answerTicket, draftReply, triage } from "../agents/support";
import { findTickets, ticketById, closeTicket } from "../data/tickets";
import { renderTicket } from "./render";

const app = express();
app.use(express.json());

app.get("/tickets", async (req, res) => {
  const tickets = await findTickets(req.query.status as string, req.query.owner as string);
  res.json(tickets);
});

app.get("/tickets/:id", async (req, res) => {
  const ticket = await ticketById(Number(req.params.id));
  res.send(renderTicket(ticket.subject, req.query.highlight as string)); // tavo-label: vuln xss
});

app.post("/tickets/:id/close", async (req, res) => {
  await closeTicket(req.params.id, req.body.reason);
  res.json({ ok: true });
});

app.post("/answer", async (req, res) => {
  res.json({ answer: await answerTicket(req.body.question, req.body.tone) });
});

app.post("/draft", async (req, res) => {
  const html = await draftReply(req.body.ticketText);
  res.send(html); // tavo-label: vuln insecure-output
});

app.post("/triage", async (req, res) => {
  res.json(await triage(req.body.text));
});

app.get("/search", (req, res) => {
  const term = String(req.query.q ?? "");
  res.send("<p>Results for " + term + "</p>"); // tavo-label: vuln xss
});

app.get("/count", (req, res) => {
  const count = parseInt(String(req.query.n), 10);
  res.send(`<p>${count} results</p>`); // tavo-label: safe xss
});

export default app;
