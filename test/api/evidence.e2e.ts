import { createHash } from 'node:crypto';
import { query, resetDatabase, TEST_DATABASE_URL } from '../support/database.js';
import { localTime, message, pickup, registration, scan, waybillNo } from '../support/events.js';
import { produce, uniquePrefix } from '../support/kafka.js';
import { eventually, freePort, sleep, startApp, stopApp, type RunningApp } from '../support/processes.js';
import { alertsReady, call, openAlertStream, startApi, tokenFor, type AlertStream, type RunningApi } from './support.js';

interface CaseRow {
  case_id: string;
  case_no: string;
  state: string;
  change: { status: string; appliedAt: string | null; blockedBy: string[] } | null;
  attached: { evidenceId: string; kind: string; sha256: string }[] | null;
}

/**
 * Evidence uploaded through the API reaches the rule engine: stored (hash, immutable) together with an outbox
 * message that the pipeline's relay publishes to `courier.evidence.v1`, which the real ingest process applies. A
 * WEIGHT_MISMATCH change the origin branch approved through the API becomes APPLIED once the photo of the true weight
 * is uploaded (rules §5, §7), with the upload in the case's timeline; the branch's staff get "reply received" live.
 */
describe('evidence upload → engine (API in process, ingest as a process; real Kafka and PostgreSQL)', () => {
  const prefix = uniquePrefix('apiev');
  const waybill = waybillNo('EV');
  let api: RunningApi;
  let ingest: RunningApp | undefined;
  let obToken: string;
  let dbToken: string;

  const caseRow = async () =>
    (
      await query<CaseRow>(
        `SELECT case_id, case_no, state, snapshot -> 'data' -> 'change' AS change, snapshot -> 'data' -> 'attachedEvidence' AS attached
           FROM problem_case WHERE waybill_no = $1 AND case_class = 'PAYMENT_CHANGE'`,
        [waybill],
      )
    )[0];

  beforeAll(async () => {
    await resetDatabase();
    const env = { TOPIC_PREFIX: prefix, KAFKA_GROUP_PREFIX: prefix };
    [obToken, dbToken] = await Promise.all([tokenFor('ev-ob', 'BRANCH_STAFF', 'SHB002'), tokenFor('ev-db', 'BRANCH_STAFF', 'SHB001')]);
    [ingest, api] = await Promise.all([
      startApp('ingest', { ...env, DATABASE_URL: TEST_DATABASE_URL, POLICY_FILE: 'config/policy.default.json', LOG_LEVEL: 'warn' }, freePort()),
      startApi(env),
    ]);
    // Picked up at SHB002 for SHB001; out for delivery; the DB registers a weight mismatch with the true weight.
    await produce(`${prefix}courier.scan.v1`, [
      message(pickup(waybill, localTime(1, '09:00'))),
      message(scan(waybill, 'OUT_FOR_DELIVERY', localTime(1, '10:00'), 'SHB001', { courierId: 'C9', courierPhone: '13700009999' })),
    ]);
    await produce(`${prefix}courier.exception.v1`, [
      message(registration(waybill, 'WEIGHT_MISMATCH', localTime(1, '11:00'), 'SHB001', { paymentChange: { actualWeightKg: 4.5 } })),
    ]);
  }, 90_000);

  afterAll(async () => {
    await api?.close();
    await stopApp(ingest);
  }, 30_000);

  it('makes an approved WEIGHT_MISMATCH change APPLIED once its photo is uploaded, with a timeline entry', async () => {
    const opened = await eventually(caseRow, 30_000);
    expect(opened.change).toMatchObject({ status: 'REQUESTED', blockedBy: ['OB_APPLY_PAYMENT_CHANGE', 'PHOTO_OF_TRUE_WEIGHT'] });

    // Staff of the delivering branch watch their live alerts, fed by the case messages the pipeline publishes.
    await alertsReady(api);
    const alerts: AlertStream = await openAlertStream(api, dbToken);
    await eventually(async () => alerts.events.some((e) => e.type === 'ready'), 5_000);

    // The origin branch approves the change through the API: still waiting for the photo.
    const approved = await call(api, 'POST', `/api/cases/${opened.case_no}/reply`, obToken, { instruction: 'APPLY_PAYMENT_CHANGE' });
    expect(approved.status).toBe(202);
    const instructed = await eventually(async () => {
      const row = await caseRow();
      return row?.state === 'INSTRUCTED' ? row : null;
    }, 30_000);
    expect(instructed.change).toMatchObject({ status: 'REQUESTED', blockedBy: ['PHOTO_OF_TRUE_WEIGHT'] });
    const replyAlert = await eventually(async () => alerts.events.find((e) => e.type === 'case.reply'), 20_000);
    expect(replyAlert.data).toMatchObject({ caseNo: opened.case_no, waybillNo: waybill, sites: expect.arrayContaining(['SHB001', 'SHB002']) });

    // The delivering branch uploads the photo of the scale.
    const photo = Buffer.from('\x89PNG\r\n\x1a\n the scale shows 4.5 kg');
    const sha256 = createHash('sha256').update(photo).digest('hex');
    const upload = await call<{ evidenceId: string; eventId: string; duplicate: boolean }>(api, 'POST', `/api/cases/${opened.case_no}/evidence`, dbToken, {
      kind: 'PHOTO',
      contentBase64: photo.toString('base64'),
      mediaType: 'image/png',
    });
    expect(upload.status).toBe(201);
    expect(upload.body.eventId).toBe(`evidence-${upload.body.evidenceId}`);

    const applied = await eventually(async () => {
      const row = await caseRow();
      return row?.change?.status === 'APPLIED' ? row : null;
    }, 30_000);
    expect(applied.state).toBe('IN_ACTION');
    expect(applied.change!.blockedBy).toEqual([]);
    expect(applied.attached).toEqual([expect.objectContaining({ evidenceId: upload.body.evidenceId, kind: 'PHOTO', sha256 })]);
    const timeline = await query<{ from_state: string; to_state: string; actor: string; note: string | null }>(
      `SELECT from_state, to_state, actor, note FROM case_timeline WHERE case_id = $1 AND source_event_id = $2 ORDER BY seq`,
      [applied.case_id, upload.body.eventId],
    );
    expect(timeline).toEqual([
      { from_state: 'INSTRUCTED', to_state: 'INSTRUCTED', actor: 'ev-db', note: expect.stringContaining(`evidence PHOTO ${sha256.slice(0, 12)}`) },
      { from_state: 'INSTRUCTED', to_state: 'IN_ACTION', actor: 'ev-db', note: null },
    ]);

    // The case detail shows it too; the same content again is the same item and changes nothing.
    const detail = await call<{ case: { state: string }; handling: { change: { status: string } } }>(api, 'GET', `/api/cases/${opened.case_no}`, obToken);
    expect(detail.body.case.state).toBe('IN_ACTION');
    expect(detail.body.handling.change.status).toBe('APPLIED');
    const again = await call<{ evidenceId: string; duplicate: boolean }>(api, 'POST', `/api/cases/${opened.case_no}/evidence`, obToken, {
      kind: 'PHOTO',
      contentBase64: photo.toString('base64'),
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ evidenceId: upload.body.evidenceId, duplicate: true });
    const outbox = await query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE topic_role = 'evidence'`);
    expect(outbox[0]!.n).toBe(1);
    // The change into IN_ACTION after the photo is no second "reply received" (once its case message is out, and read).
    await eventually(async () => (await query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`))[0]!.n === 0, 10_000);
    await sleep(1_500);
    expect(alerts.events.filter((e) => e.type === 'case.reply')).toHaveLength(1);
    alerts.close();
  }, 90_000);

  it('refuses letter details on anything but a LETTER, naming the field', async () => {
    const [row] = await query<{ case_no: string }>(`SELECT case_no FROM problem_case WHERE waybill_no = $1`, [waybill]);
    const response = await call<{ errors: { field: string; message: string }[] }>(api, 'POST', `/api/cases/${row!.case_no}/evidence`, dbToken, {
      kind: 'PHOTO',
      contentBase64: Buffer.from('x').toString('base64'),
      authorisedBy: '寄件人 李娜',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'authorisedBy', message: 'only allowed with kind LETTER' }]);
  });
});
