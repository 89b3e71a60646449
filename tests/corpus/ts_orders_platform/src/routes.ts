import express, { Request, Response } from 'express';
import { Pool } from 'pg';
import { ArchiveExporter, MailNotifier } from './orders/exporter';
import { OrderRepository } from './orders/repository';
import { OrderService } from './orders/service';
import { visitor } from './middleware/visitor';

const orders = new OrderService(new OrderRepository(new Pool()), new ArchiveExporter(), new MailNotifier());
export const app = express();
app.use(express.json());
app.use(visitor);

app.get('/orders', async (req: Request, res: Response) => {
  const [mine, open] = await Promise.all([
    orders.find(String(req.query.customer)),
    orders.withStatus(String(req.query.status)),
  ]);
  res.json({ mine: mine.rows, open: open.rows });
});

app.post('/orders/export', async (req: Request, res: Response) => {
  await orders.exportBatch(req.body.batch, req.body.contact);
  res.sendStatus(202);
});

app.get('/welcome', (req: Request, res: Response) => {
  res.send(`<h1>Welcome to ${res.locals.storeName}</h1>`); // tavo-label: safe xss
});

app.get('/hello', (req: Request, res: Response) => {
  res.send(`<h1>Hello ${res.locals.greetingName}</h1>`); // tavo-label: vuln xss
});
