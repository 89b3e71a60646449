const { Pool } = require('pg');
const knex = require('knex')({ client: 'pg', connection: process.env.DATABASE_URL });

module.exports = { pool: new Pool(), knex };
