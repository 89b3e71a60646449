import type { Pool } from 'pg';

export class OrderRepository {
  constructor(private readonly db: Pool) {}

  byCustomer(customer: string) {
    return this.db.query(`SELECT * FROM orders WHERE customer = '${customer}'`); // tavo-label: vuln sql-injection
  }

  byStatus(status: string) {
    return this.db.query('SELECT * FROM orders WHERE status = $1', [status]); // tavo-label: safe sql-injection
  }
}
