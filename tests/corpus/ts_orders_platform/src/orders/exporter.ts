import { exec, execFile } from 'node:child_process';

export interface Exporter {
  export(batch: string): Promise<void>;
}

export class ArchiveExporter implements Exporter {
  export(batch: string): Promise<void> {
    return new Promise((resolve, reject) => {
      exec(`tar czf /exports/${batch}.tgz /data/orders`, (err) => (err ? reject(err) : resolve())); // tavo-label: vuln command-injection
    });
  }
}

export abstract class Notifier {
  abstract notify(address: string): void;
}

export class MailNotifier extends Notifier {
  notify(address: string): void {
    execFile('/usr/sbin/sendmail', ['--', address]); // tavo-label: safe command-injection
  }
}
