import type { Alert } from '../../src/alerts';
import type { AlertPublisher } from '../../src/publisher';

/** Records what would have gone to SNS; `failNext` makes the next publishes throw. */
export class RecordingPublisher implements AlertPublisher {
  readonly published: Alert[] = [];
  failNext = 0;

  async publish(alert: Alert): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('SNS is unavailable');
    }
    this.published.push(alert);
  }

  rules(): string[] {
    return this.published.map((alert) => alert.rule).sort();
  }
}
