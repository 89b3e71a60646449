const express = require("express");
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

module.exports = router;
