/** Server-Sent Events (the text/event-stream format), parsed line by line. */

export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * Feed lines (without their line ending); an event comes out at each blank line. Comments
 * (`: keep-alive`) and unknown fields are ignored, as the format requires.
 */
export class SSEDecoder {
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  feed(line: string): ServerSentEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') this.event = value;
    else if (name === 'data') this.data.push(value);
    else if (name === 'id' && !value.includes('\0')) this.id = value;
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    if (this.data.length === 0 && !this.event) return undefined;
    const event = { event: this.event || 'message', data: this.data.join('\n'), id: this.id };
    this.event = '';
    this.data = [];
    return event;
  }
}
