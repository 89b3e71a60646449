const db = require('./db');
const { exec } = require('child_process');

class UserService {
  async search(term) {
    return db.query(`SELECT * FROM users WHERE name LIKE '%${term}%'`); // tavo-label: vuln sql-injection
  }

  async report(fmt) {
    return new Promise((resolve) => exec(`./report.sh ${fmt}`, (e, out) => resolve(out))); // tavo-label: vuln command-injection
  }
}

module.exports = new UserService();
