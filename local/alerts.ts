/**
 * `npm run alerts [-- --once] [--keep] [--json] [--state-dir <dir>]` (`--help` for usage): prints the anomaly-detector's
 * alerts as they arrive on the SQS queue subscribed to the local alerts topic.
 *
 * Debian's AWS CLI 2.9 speaks SQS's older Query protocol, which fauxqs answers with
 * `Unknown action`, so `aws sqs receive-message` cannot read this queue; the SDK can.
 * Reads `.clickstream/local.json` (written by `npm start`) for the queue URL and endpoint.
 */
import './quiet-warnings';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '@clickstream/shared';
import { runCommand, type CommandLine } from './cli-args';
import { manifestClientConfig, readManifest, stateDirectory } from './manifest';

/** An alert as it reaches a subscriber: the SNS envelope around the detector's JSON message. */
export interface AlertNotification {
  messageId: string;
  subject?: string;
  /** The parsed JSON `Message` (rule, severity, subject_key, observed, threshold, window, ...). */
  alert: Record<string, unknown>;
  /** SNS message attributes (`severity`, `rule`) as strings. */
  attributes: Record<string, string>;
  timestamp?: string;
}

/**
 * Parses an SQS body holding an SNS notification (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html).
 * With raw message delivery the body is the message itself and attributes come with the SQS message.
 */
export function parseNotification(body: string, sqsAttributes: Record<string, { StringValue?: string }> = {}): AlertNotification {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  if (parsed.Type === 'Notification' && typeof parsed.Message === 'string') {
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries((parsed.MessageAttributes ?? {}) as Record<string, { Value?: string }>)) {
      if (typeof value?.Value === 'string') attributes[name] = value.Value;
    }
    const notification: AlertNotification = { messageId: String(parsed.MessageId ?? ''), alert: JSON.parse(parsed.Message) as Record<string, unknown>, attributes };
    if (typeof parsed.Subject === 'string') notification.subject = parsed.Subject;
    if (typeof parsed.Timestamp === 'string') notification.timestamp = parsed.Timestamp;
    return notification;
  }
  const attributes = Object.fromEntries(Object.entries(sqsAttributes).flatMap(([name, value]) => (value.StringValue === undefined ? [] : [[name, value.StringValue]])));
  return { messageId: '', alert: parsed, attributes };
}

/** One readable line per alert. */
export function formatNotification(notification: AlertNotification): string {
  const { alert } = notification;
  const severity = String(alert.severity ?? notification.attributes.severity ?? '?').toUpperCase();
  const window = alert.window as { start?: string; end?: string } | undefined;
  const comparison = alert.comparison === 'below' ? '<' : '>';
  const samples = Array.isArray(alert.sample_event_ids) && alert.sample_event_ids.length > 0 ? ` samples=${alert.sample_event_ids.join(',')}` : '';
  return [
    String(alert.incident_at ?? notification.timestamp ?? ''),
    severity.padEnd(6),
    String(alert.rule ?? notification.attributes.rule ?? '?'),
    String(alert.subject_key ?? ''),
    `observed ${String(alert.observed)} ${comparison} ${String(alert.threshold)}`,
    window?.start === undefined ? '' : `window ${window.start}..${window.end ?? ''}`,
    `— ${String(alert.description ?? notification.subject ?? '')}${samples}`,
  ]
    .filter((part) => part !== '')
    .join('  ');
}

/** One long poll: receives up to 10 alerts and, unless `keep`, deletes them from the queue. */
export async function receiveNotifications(sqs: SQSClient, queueUrl: string, options: { waitSeconds: number; keep?: boolean }): Promise<AlertNotification[]> {
  const { Messages: messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: options.waitSeconds, MessageAttributeNames: ['All'] }),
  );
  const notifications = messages.map((message) => parseNotification(message.Body ?? '{}', message.MessageAttributes ?? {}));
  if (!options.keep && messages.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
      }),
    );
  }
  return notifications;
}

const HELP = `Usage: npm run alerts -- [options]

Prints the anomaly-detector's alerts as they arrive on the SQS queue subscribed to the local
alerts topic, and deletes each one it printed from the queue (Ctrl-C to stop).

Options:
  --once                    print what is queued now and exit
  --keep                    leave the alerts in the queue
  --json                    one JSON object per alert
  --state-dir <dir>         where local.json is (default .clickstream)
  --help                    this text

Alert history (kept in DynamoDB, not consumed): npm run query -- alerts --minutes 60
`;

const COMMAND = {
  command: 'npm run alerts',
  help: HELP,
  options: {
    once: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'state-dir': { type: 'string' },
  },
} as const;

async function main({ values }: CommandLine<typeof COMMAND.options>): Promise<void> {
  const { once, keep, json } = values;
  const manifest = readManifest(stateDirectory(values['state-dir']));
  const sqs = createSqsClient(manifestClientConfig(manifest));
  const print = (notification: AlertNotification) => console.log(json ? JSON.stringify(notification) : formatNotification(notification));
  if (!once) console.error(`waiting for alerts on ${manifest.alertsQueueUrl} (Ctrl-C to stop)`);
  let stopping = false;
  let printed = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopping = true;
    });
  }
  try {
    while (!stopping) {
      const notifications = await receiveNotifications(sqs, manifest.alertsQueueUrl, { waitSeconds: once ? 0 : 10, keep });
      notifications.forEach(print);
      printed += notifications.length;
      if (once && notifications.length === 0) break;
    }
  } finally {
    sqs.destroy();
  }
  if (once && printed === 0) console.error(`no alerts queued (alert history: npm run query -- alerts --minutes 60)`);
}

if (require.main === module) runCommand(COMMAND, main);
