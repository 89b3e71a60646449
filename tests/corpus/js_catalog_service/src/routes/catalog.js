const express = require('express');
const multer = require('multer');
const repo = require('../repos/productRepo');
const media = require('../services/mediaService');
const { mergeInto, mergeSafely } = require('../lib/merge');

const router = express.Router();
const upload = multer({ dest: '/tmp/uploads' });
const RETURN_TARGETS = new Set(['/catalog', '/cart', '/account']);
const settings = { theme: 'light' };

router.get('/products', async (req, res) => {
  res.json({
    picked: await repo.byIds(req.query.ids),
    tagged: await repo.byTags(req.query.tags),
    page: await repo.page(req.query.sort, req.query.page),
    sorted: await repo.sorted(req.query.column),
    sortedSafe: await repo.sortedSafe(req.query.column),
  });
});

router.post('/media', upload.single('image'), (req, res) => {
  const stored = req.query.keepName ? media.storeUpload(req.file) : media.storeUploadSafe(req.file);
  res.json({ stored });
});

router.post('/media/:id/thumbnail', async (req, res) => {
  await media.thumbnail(req.params.id);
  res.sendStatus(204);
});

router.post('/media/:name/watermark', async (req, res) => {
  await media.watermark(req.params.name);
  res.sendStatus(204);
});

router.post('/settings', (req, res) => {
  res.json(req.query.strict ? mergeSafely(settings, req.body) : mergeInto(settings, req.body));
});

router.get('/back', (req, res) => {
  if (!RETURN_TARGETS.has(req.query.to)) return res.redirect('/catalog');
  res.redirect(req.query.to); // tavo-label: safe open-redirect
});

router.get('/continue', (req, res) => {
  res.redirect(req.query.to); // tavo-label: vuln open-redirect
});

module.exports = router;
