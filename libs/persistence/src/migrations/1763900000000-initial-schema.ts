import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole schema in one reviewed SQL migration. Liability records, timeline entries, the
 * notification log's evidence columns and DLQ records are append-only: triggers refuse UPDATE and
 * DELETE so that "never edited or deleted" (rules §3, §4) holds even against a careless query.
 */
export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE waybill_state (
        waybill_no   text PRIMARY KEY,
        state        jsonb,
        version      integer NOT NULL DEFAULT 0,
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE problem_case (
        case_id            text PRIMARY KEY,
        case_no            text NOT NULL UNIQUE,
        waybill_no         text NOT NULL,
        case_class         text NOT NULL,
        reason_code        text NOT NULL,
        state              text NOT NULL,
        opened_at          timestamptz NOT NULL,
        closed_at          timestamptz,
        outcome            text,
        origin_branch      text,
        delivering_branch  text,
        reported_by_site   text,
        detected_by        text NOT NULL,
        overdue            boolean NOT NULL DEFAULT false,
        overdue_rules      text[] NOT NULL DEFAULT '{}',
        escalation_level   integer NOT NULL DEFAULT 0,
        no_reply           boolean NOT NULL DEFAULT false,
        under_hq_review    boolean NOT NULL DEFAULT false,
        favourable_to_db   boolean NOT NULL DEFAULT false,
        wrong_target       boolean NOT NULL DEFAULT false,
        next_due_at        timestamptz,
        snapshot           jsonb NOT NULL,
        updated_at         timestamptz NOT NULL DEFAULT now()
      )`);
    // rules §1: at most one OPEN case per (waybill, class).
    await q.query(`CREATE UNIQUE INDEX problem_case_one_open_per_class
      ON problem_case (waybill_no, case_class) WHERE state NOT IN ('RESOLVED', 'CLOSED')`);
    await q.query(`CREATE INDEX problem_case_waybill ON problem_case (waybill_no)`);
    await q.query(`CREATE INDEX problem_case_origin_due ON problem_case (origin_branch, next_due_at)`);
    await q.query(`CREATE INDEX problem_case_delivering_due ON problem_case (delivering_branch, next_due_at)`);
    await q.query(`CREATE INDEX problem_case_reported_due ON problem_case (reported_by_site, next_due_at)`);
    await q.query(`CREATE INDEX problem_case_class_state ON problem_case (case_class, state)`);
    await q.query(`CREATE INDEX problem_case_opened ON problem_case (opened_at)`);

    await q.query(`
      CREATE TABLE case_timeline (
        case_id          text NOT NULL,
        seq              integer NOT NULL,
        at               timestamptz NOT NULL,
        from_state       text,
        to_state         text NOT NULL,
        actor            text NOT NULL,
        source_event_id  text,
        note             text,
        PRIMARY KEY (case_id, seq)
      )`);

    await q.query(`
      CREATE TABLE deadline (
        deadline_id  text PRIMARY KEY,
        case_id      text,
        waybill_no   text NOT NULL,
        rule         text NOT NULL,
        due_at       timestamptz NOT NULL,
        party        text NOT NULL,
        site_code    text,
        status       text NOT NULL,
        armed_at     timestamptz NOT NULL,
        met_at       timestamptz,
        missed_at    timestamptz,
        updated_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX deadline_pending_due ON deadline (due_at) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX deadline_case ON deadline (case_id)`);
    await q.query(`CREATE INDEX deadline_rule_status ON deadline (rule, status)`);

    await q.query(`
      CREATE TABLE liability_record (
        record_id         text PRIMARY KEY,
        kind              text NOT NULL,
        case_id           text NOT NULL,
        deadline_id       text,
        rule              text NOT NULL,
        party             text NOT NULL,
        site_code         text,
        due_at            timestamptz,
        met_at            timestamptz,
        minutes_late      integer,
        evidence          jsonb NOT NULL DEFAULT '{}',
        favourable_to_db  boolean NOT NULL DEFAULT false,
        refers_to         text REFERENCES liability_record (record_id),
        reviewer          text,
        review_outcome    text,
        reason            text,
        recorded_at       timestamptz NOT NULL,
        inserted_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX liability_case ON liability_record (case_id)`);
    await q.query(`CREATE INDEX liability_party ON liability_record (party, site_code)`);

    await q.query(`
      CREATE TABLE notification (
        notification_id   text PRIMARY KEY,
        case_id           text NOT NULL,
        kind              text NOT NULL,
        channel           text NOT NULL,
        target_role       text NOT NULL,
        target_site       text,
        recipient         text,
        recipient_masked  text,
        template_key      text,
        body              text NOT NULL,
        content_sha256    text NOT NULL,
        vars              jsonb NOT NULL DEFAULT '{}',
        event_time        timestamptz NOT NULL,
        not_before        timestamptz,
        already_sent      boolean NOT NULL DEFAULT false,
        status            text NOT NULL DEFAULT 'PENDING',
        attempts          integer NOT NULL DEFAULT 0,
        last_error        text,
        next_attempt_at   timestamptz NOT NULL DEFAULT now(),
        sent_at           timestamptz,
        provider_ref      text,
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX notification_case ON notification (case_id)`);
    await q.query(`CREATE INDEX notification_target_site ON notification (target_site, created_at)`);
    await q.query(`CREATE INDEX notification_due ON notification (next_attempt_at) WHERE status IN ('PENDING', 'HELD', 'SENDING')`);

    await q.query(`
      CREATE TABLE outbox (
        id            bigserial PRIMARY KEY,
        topic_role    text NOT NULL,
        message_key   text NOT NULL,
        payload       jsonb NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        published_at  timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL`);

    await q.query(`
      CREATE TABLE consumer_offset (
        group_id     text NOT NULL,
        topic        text NOT NULL,
        partition    integer NOT NULL,
        next_offset  bigint NOT NULL,
        -- The partition's end offset seen with the last batch: next_offset < high_watermark means it lags.
        high_watermark  bigint NOT NULL DEFAULT 0,
        -- Newest event time applied from this partition: the event-time clock is their minimum over lagging partitions.
        max_event_time  timestamptz,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      )`);

    await q.query(`
      CREATE TABLE case_number_counter (
        month        text PRIMARY KEY,
        last_serial  integer NOT NULL
      )`);

    await q.query(`
      CREATE TABLE dlq_record (
        id           bigserial PRIMARY KEY,
        topic        text NOT NULL,
        partition    integer NOT NULL,
        "offset"     bigint NOT NULL,
        message_key  text,
        reason       text NOT NULL,
        field        text,
        received_at  timestamptz NOT NULL DEFAULT now(),
        UNIQUE (topic, partition, "offset")
      )`);

    await q.query(`
      CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
      END $$`);
    for (const table of ['liability_record', 'case_timeline', 'dlq_record']) {
      await q.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'dlq_record', 'case_number_counter', 'consumer_offset', 'outbox', 'notification',
      'liability_record', 'deadline', 'case_timeline', 'problem_case', 'waybill_state',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS refuse_change()`);
  }
}
