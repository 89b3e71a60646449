const express = require("express");
const knex = require("knex")({ client: "pg" });
const { findByName, findById, search, sortedBy } = require("../db/users");

const router = express.Router();

router.get("/by-name", async (req, res) => {
  const rows = await findByName(req.query.name);
  res.json(rows);
});

router.get("/:id", async (req, res) => {
  res.json(await findById(req.params.id));
});

router.get("/", async (req, res) => {
  const { q, sort } = req.query;
  res.json(await search(q, sort));
});

router.get("/sorted/by", async (req, res) => {
  res.json(await sortedBy(req.query.column));
});

router.patch("/:id/profile", async (req, res) => {
  await knex("users").where({ id: req.params.id }).update(req.body); // tavo-label: vuln mass-assignment
  res.json({ ok: true });
});

router.put("/:id/profile", async (req, res) => {
  const { displayName, timezone } = req.body;
  await knex("users").where({ id: req.params.id }).update({ displayName, timezone }); // tavo-label: safe mass-assignment
  res.json({ ok: true });
});

module.exports = router;
