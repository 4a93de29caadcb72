/**
 * The benchmark page's progress display: a bar over the queries (every system runs on a query
 * before the next query starts, bench/scenarios/rerank.ts), the system running now, and the last
 * log lines.
 */
import type { BenchProgress } from '../scenarios/scenario';

export class ProgressView {
  private readonly status: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly log: HTMLElement;

  constructor(parent: HTMLElement) {
    const box = document.createElement('section');
    box.className = 'progress';
    this.status = document.createElement('p');
    this.status.textContent = 'starting…';
    this.bar = document.createElement('progress');
    this.bar.max = 1;
    this.bar.value = 0;
    this.log = document.createElement('pre');
    box.append(this.status, this.bar, this.log);
    parent.append(box);
  }

  update(p: BenchProgress): void {
    this.bar.max = p.total;
    this.bar.value = p.done;
    this.status.textContent = `${p.done}/${p.total} queries done · next: ${p.system}`;
  }

  /** A log line (the last 12 stay visible). */
  line(message: string): void {
    const lines = `${this.log.textContent ?? ''}${message}\n`.split('\n');
    this.log.textContent = lines.slice(Math.max(0, lines.length - 13)).join('\n');
  }

  done(message: string): void {
    this.status.textContent = message;
    this.bar.value = this.bar.max;
  }
}
