/**
 * Outbound webhooks: create (the secret is in the answer, once), list, get, update, rotate
 * the secret, delete; deliveries and redelivery. To check deliveries you receive, see
 * `verifyWebhook`.
 */
import { apiPath } from '../core.js';
import type { RequestOptions } from '../core.js';
import type { Paging, UpdateWebhookParams, Webhook, WebhookDelivery, WebhookDeliveryList, WebhookEventType, WebhookList } from '../types/index.js';
import { Resource } from './base.js';

export class Webhooks extends Resource {
  /** A webhook for these event types; keep the answer's `secret` (shown only now). */
  createWebhook(url: string, events: readonly WebhookEventType[], params: { description?: string } = {}, options?: RequestOptions): Promise<Webhook> {
    const body: Record<string, unknown> = { url, events: [...events] };
    if (params.description !== undefined) body['description'] = params.description;
    return this.core.request({ method: 'POST', path: apiPath('webhooks'), json: body, options });
  }

  listWebhooks(params: Paging = {}, options?: RequestOptions): Promise<WebhookList> {
    return this.core.request({ method: 'GET', path: apiPath('webhooks'), query: params, cacheable: false, options });
  }

  getWebhook(webhookId: string, options?: RequestOptions): Promise<Webhook> {
    return this.core.request({ method: 'GET', path: apiPath('webhooks', webhookId), cacheable: false, options });
  }

  /** Changes what is given; with `rotate_secret` the answer carries the new secret. */
  updateWebhook(webhookId: string, params: UpdateWebhookParams, options?: RequestOptions): Promise<Webhook> {
    const body: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && !(name === 'rotate_secret' && value === false)) body[name] = value;
    }
    return this.core.request({ method: 'PATCH', path: apiPath('webhooks', webhookId), json: body, options });
  }

  async deleteWebhook(webhookId: string, options?: RequestOptions): Promise<void> {
    await this.core.request({ method: 'DELETE', path: apiPath('webhooks', webhookId), options });
  }

  /** The webhook's deliveries, newest first. */
  listDeliveries(webhookId: string, params: Paging = {}, options?: RequestOptions): Promise<WebhookDeliveryList> {
    return this.core.request({ method: 'GET', path: apiPath('webhooks', webhookId, 'deliveries'), query: params, cacheable: false, options });
  }

  /** Sends the delivery's event again (same event id, signed afresh). */
  redeliver(webhookId: string, deliveryId: string, options?: RequestOptions): Promise<WebhookDelivery> {
    return this.core.request({ method: 'POST', path: apiPath('webhooks', webhookId, 'deliveries', deliveryId, 'redeliver'), options });
  }
}
