/**
 * BullMQ queues of the pipeline. The deadlines app holds one delayed job per pending deadline in `DEADLINE_QUEUE`
 * (BullMQ's default key prefix `bull`); the API's ops board shows the same queue, so both read the name from here.
 */
export const DEADLINE_QUEUE = 'deadlines';
