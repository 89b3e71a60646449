const crypto = require('crypto');
const express = require('express');
const users = require('./users');

const router = express.Router();

router.post('/login', async (req, res) => {
  const { email, password } = req.body;
  const hash = crypto.createHash('sha256').update(String(password)).digest('hex');
  const user = await users.byCredentials(email, hash);
  res.json({ ok: Boolean(user) });
});

router.post('/forgot', async (req, res) => {
  res.json({ sent: Boolean(await users.byEmail(req.body.email)) });
});

router.get('/team', async (req, res) => {
  res.json(await users.inTeam(req.query.team));
});

router.get('/report', async (req, res) => {
  const filter = req.query.filter ? JSON.parse(req.query.filter) : {};
  res.json(await users.User.find(filter)); // tavo-label: vuln nosql-injection
});

module.exports = router;
