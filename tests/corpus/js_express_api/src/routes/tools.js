const express = require("express");
const axios = require("axios");
const serialize = require("node-serialize");

const router = express.Router();
const WEBHOOK_HOSTS = ["hooks.example.com"];

router.post("/fetch", async (req, res) => {
  const response = await axios.get(req.body.url); // tavo-label: vuln ssrf
  res.json(response.data);
});

router.post("/webhook", async (req, res) => {
  const url = new URL(req.body.url);
  if (!WEBHOOK_HOSTS.includes(url.hostname)) {
    return res.status(400).end();
  }
  await fetch(url); // tavo-label: safe ssrf
  res.json({ ok: true });
});

router.post("/prefs", (req, res) => {
  const prefs = serialize.unserialize(req.cookies.prefs); // tavo-label: vuln deserialization
  res.json(prefs);
});

router.post("/prefs-json", (req, res) => {
  res.json(JSON.parse(req.cookies.prefs)); // tavo-label: safe deserialization
});

module.exports = router;
