/** Default topic names of events.md (each is configurable in the services; these are the defaults). */
export const TOPICS = {
  scan: 'courier.scan.v1',
  exception: 'courier.exception.v1',
  reply: 'courier.reply.v1',
  action: 'courier.action.v1',
  case: 'courier.case.v1',
  notification: 'courier.notification.v1',
  dlq: 'courier.dlq.v1',
} as const;

export const INPUT_KINDS = ['scan', 'exception', 'reply', 'action'] as const;
/** Which input topic a message came from; the parser turns it into the event's `kind` discriminator. */
export type InputKind = (typeof INPUT_KINDS)[number];

/** The input kind a topic carries, given the topic names in use (defaults: `TOPICS`); null for any other topic. */
export function inputKindOfTopic(
  topic: string,
  topics: Pick<Record<keyof typeof TOPICS, string>, InputKind> = TOPICS,
): InputKind | null {
  return INPUT_KINDS.find((kind) => topics[kind] === topic) ?? null;
}
