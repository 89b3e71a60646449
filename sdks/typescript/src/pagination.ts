/**
 * Lazy pagination: iterate over every item of a list endpoint, fetching one page when the
 * iteration reaches it. Whether another page follows comes from the envelope's `has_more`
 * (offset/limit windows). Items are listed newest first, so one created during the
 * iteration shifts later pages by one: iterating by items skips what was already seen.
 *
 *     for await (const scan of client.scanManagement.iterScans({ status: 'completed' })) ...
 *     for await (const page of client.scanManagement.iterScans().pages()) ...
 */
import { TavoConfigError } from './errors.js';
import type { PageInfo } from './types/index.js';

export class Pager<Page extends PageInfo, Item> implements AsyncIterable<Item> {
  constructor(
    private readonly fetchPage: (offset: number, limit: number) => Promise<Page>,
    private readonly itemsOf: (page: Page) => readonly Item[],
    private readonly pageSize: number,
    private readonly keyOf?: (item: Item) => unknown,
    private readonly start: number = 0,
  ) {
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new TavoConfigError('page_size', `must be a whole number >= 1 (got ${String(pageSize)})`);
    }
  }

  /** Each page in turn. */
  async *pages(): AsyncGenerator<Page> {
    let offset = this.start;
    for (;;) {
      const page = await this.fetchPage(offset, this.pageSize);
      yield page;
      const count = this.itemsOf(page).length;
      if (count === 0 || !page.has_more) return;
      offset += count;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Item> {
    const seen = new Set<unknown>();
    for await (const page of this.pages()) {
      for (const item of this.itemsOf(page)) {
        if (this.keyOf !== undefined) {
          const identity = this.keyOf(item);
          if (seen.has(identity)) continue;
          seen.add(identity);
        }
        yield item;
      }
    }
  }

  /** Every item (fetches every page). */
  async toList(): Promise<Item[]> {
    const items: Item[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}
