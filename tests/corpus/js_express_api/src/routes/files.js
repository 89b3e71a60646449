const fs = require("fs");
const path = require("path");
const express = require("express");
const { convert } = require("../services/convert");

const router = express.Router();
const ROOT = path.join(__dirname, "..", "..", "storage");

router.get("/read", (req, res) => {
  const content = fs.readFileSync(path.join(ROOT, req.query.name), "utf8"); // tavo-label: vuln path-traversal
  res.type("text/plain").send(content); // tavo-label: safe xss
});

router.get("/read-safe", (req, res) => {
  const content = fs.readFileSync(path.join(ROOT, path.basename(req.query.name)), "utf8"); // tavo-label: safe path-traversal
  res.type("text/plain").send(content);
});

router.get("/send", (req, res) => {
  const target = path.resolve(ROOT, req.query.file);
  if (!target.startsWith(ROOT + path.sep)) {
    return res.status(403).end();
  }
  res.sendFile(target); // tavo-label: safe path-traversal
});

router.post("/convert", (req, res) => {
  convert(req.body.input, req.body.format);
  res.json({ ok: true });
});

module.exports = router;
