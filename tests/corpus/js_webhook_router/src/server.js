const express = require('express');
const { EVENTS, FORMATTERS } = require('./handlers');

const app = express();
app.use(express.json());

app.post('/hooks/:event', (req, res) => {
  const handle = EVENTS[req.params.event];
  if (!handle) {
    return res.sendStatus(404);
  }
  handle(req.body);
  res.sendStatus(202);
});

app.post('/format/:style', (req, res) => {
  const format = FORMATTERS[req.params.style] || FORMATTERS.text;
  res.json({ text: format(req.body) }); // tavo-label: safe xss
});

app.listen(8080);
