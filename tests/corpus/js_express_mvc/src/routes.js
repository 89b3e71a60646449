const router = require('express').Router();
const controller = require('./userController');

router.get('/search', controller.search.bind(controller));
router.post('/report', (req, res) => controller.report(req, res));
module.exports = router;
