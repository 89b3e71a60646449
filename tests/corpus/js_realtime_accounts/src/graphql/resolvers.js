const { Pool } = require('pg');

const pool = new Pool();

module.exports = {
  Query: {
    async project(_parent, { slug }) {
      const { rows } = await pool.query(`SELECT * FROM projects WHERE slug = '${slug}'`); // tavo-label: vuln sql-injection
      return rows[0];
    },
    members: async (_parent, args) => {
      const { rows } = await pool.query('SELECT * FROM members WHERE project = $1', [args.project]); // tavo-label: safe sql-injection
      return rows;
    },
  },
};
