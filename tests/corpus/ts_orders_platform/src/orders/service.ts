import type { Exporter, Notifier } from './exporter';
import type { OrderRepository } from './repository';

export class OrderService {
  constructor(
    private readonly repo: OrderRepository,
    private readonly exporter: Exporter,
    private readonly notifier: Notifier,
  ) {}

  find(customer: string) {
    return this.repo.byCustomer(customer);
  }

  withStatus(status: string) {
    return this.repo.byStatus(status);
  }

  async exportBatch(batch: string, contact: string) {
    await this.exporter.export(batch);
    this.notifier.notify(contact);
  }
}
