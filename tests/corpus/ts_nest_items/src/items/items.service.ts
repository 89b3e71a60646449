import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { exec } from 'child_process';
import { promisify } from 'util';

const run = promisify(exec);

@Injectable()
export class ItemsService {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async search(term: string) {
    return this.ds.query(`SELECT * FROM items WHERE title LIKE '%${term}%'`); // tavo-label: vuln sql-injection
  }

  async searchSafe(term: string) {
    return this.ds.query('SELECT * FROM items WHERE title LIKE $1', [`%${term}%`]); // tavo-label: safe sql-injection
  }

  async byId(id: number) {
    return this.ds.query(`SELECT * FROM items WHERE id = ${id}`); // tavo-label: safe sql-injection
  }

  async thumbnail(file: string) {
    return run(`convert ${file} -resize 64x64 /tmp/thumb.png`); // tavo-label: vuln command-injection
  }
}
