const express = require('express');
const { setPref, setPrefChecked } = require('./prefs');

const app = express();
app.use(express.json());

const counters = { views: {}, likes: {} };
const KINDS = new Set(['views', 'likes']);

app.post('/prefs/:section', (req, res) => {
  setPref(req.params.section, req.body.name, req.body.value);
  res.sendStatus(204);
});

app.post('/prefs2/:section', (req, res) => {
  setPrefChecked(req.params.section, req.body.name, req.body.value);
  res.sendStatus(204);
});

app.post('/count', (req, res) => {
  const { kind, item } = req.body;
  counters[kind][item] = (counters[kind][item] || 0) + 1; // tavo-label: vuln prototype-pollution
  res.json(counters[kind]);
});

app.post('/count2', (req, res) => {
  const { kind, item } = req.body;
  if (!KINDS.has(kind)) {
    return res.status(400).end();
  }
  counters[kind][item] = (counters[kind][item] || 0) + 1; // tavo-label: safe prototype-pollution
  res.json(counters[kind]);
});

app.listen(3000);
