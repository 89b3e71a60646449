const userService = require('./userService');

class UserController {
  async search(req, res) {
    res.json(await userService.search(req.query.q));
  }

  async report(req, res) {
    const { format } = req.body;
    res.send(await userService.report(format));
  }
}

module.exports = new UserController();
