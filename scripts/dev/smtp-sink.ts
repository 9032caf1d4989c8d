// A loopback SMTP server that accepts every message and records it, for the demo and the tests: what staff and
// customers would have found in their mailboxes. It can be told to refuse messages (4xx: try later, 5xx: never).
// Plain SMTP without authentication or TLS on 127.0.0.1 only. Not for production.
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SinkMessage {
  /** The Message-ID header, with its angle brackets. */
  messageId: string | null;
  /** SMTP envelope. */
  from: string | null;
  to: string[];
  subject: string;
  text: string;
  headers: Record<string, string>;
  receivedAt: string;
}

export interface SmtpRefusal {
  /** SMTP reply code: 4xx asks the client to try again later, 5xx refuses for good. */
  code: number;
  message?: string;
  /** Only for messages to this envelope recipient. */
  to?: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  /** For SMTP_URL. */
  url: string;
  messages: SinkMessage[];
  /** Messages to one address. */
  messagesTo(address: string): SinkMessage[];
  /** Refuse the next `count` messages (matching `to` when given) at the end of DATA. */
  refuseNext(count: number, refusal: SmtpRefusal): void;
  close(): Promise<void>;
}

interface RefusalRule extends SmtpRefusal {
  remaining: number;
}

export async function startSmtpSink(port = 0): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const refusals: RefusalRule[] = [];

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const to = session.envelope.rcptTo.map((address) => address.address);
      const refusal = refusals.find((rule) => rule.remaining > 0 && (rule.to === undefined || to.includes(rule.to)));
      simpleParser(stream)
        .then((mail) => {
          if (refusal) {
            refusal.remaining -= 1;
            callback(Object.assign(new Error(refusal.message ?? 'refused by the sink'), { responseCode: refusal.code }));
            return;
          }
          const headers: Record<string, string> = {};
          for (const line of mail.headerLines) headers[line.key] = line.line.slice(line.line.indexOf(':') + 1).trim();
          const envelopeFrom = session.envelope.mailFrom;
          messages.push({
            messageId: mail.messageId ?? null,
            from: envelopeFrom ? envelopeFrom.address : null,
            to,
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            headers,
            receivedAt: new Date().toISOString(),
          });
          callback();
        })
        .catch((error: Error) => callback(Object.assign(error, { responseCode: 451 })));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port: actual,
    url: `smtp://127.0.0.1:${actual}`,
    messages,
    messagesTo: (address) => messages.filter((m) => m.to.includes(address)),
    refuseNext(count, refusal) {
      refusals.push({ ...refusal, remaining: count });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Run directly: `node dist/scripts/dev/smtp-sink.js [port]` prints its SMTP URL, then one JSON line per message
// (the recipients' addresses masked: the demo's logs are no place for them either).
if (process.argv[1]?.endsWith('smtp-sink.js')) {
  const { maskEmail } = await import('#observability');
  const sink = await startSmtpSink(Number(process.argv[2] ?? 0));
  console.log(sink.url);
  let printed = 0;
  setInterval(() => {
    for (const message of sink.messages.slice(printed)) {
      console.log(JSON.stringify({ messageId: message.messageId, to: message.to.map((a) => maskEmail(a)), subject: message.subject, receivedAt: message.receivedAt }));
    }
    printed = sink.messages.length;
  }, 500).unref();
  process.on('SIGTERM', () => void sink.close().then(() => process.exit(0)));
}
