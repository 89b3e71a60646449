const { execFileSync } = require('child_process');
const express = require('express');

const router = express.Router();

function usage(dir) {
  return execFileSync('du', ['-sh', '--', dir]).toString(); // tavo-label: safe command-injection
}

router.get('/usage', (req, res) => {
  res.send('<pre>' + usage(req.query.dir) + '</pre>'); // tavo-label: safe xss
});

router.get('/usage-echo', (req, res) => {
  res.send('<pre>' + req.query.dir + ': ' + usage(req.query.dir) + '</pre>'); // tavo-label: vuln xss
});

module.exports = router;
