// The JSON schemas of the jobs API's answers: Fastify serialises every answer through them
// (a field not named here never leaves the server) and /openapi.json publishes them.
import { ERROR_SCHEMA } from '../errorSchema.ts';

/** The error answers every route may give. */
export const ERRORS = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 413: ERROR_SCHEMA } as const;
export const JOB_ID_PARAMS = { type: 'object', properties: { id: { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991 } }, required: ['id'], additionalProperties: false } as const;
const text = { type: 'string' } as const;
const nullableText = { type: ['string', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const integer = { type: 'integer' } as const;
const anyJson = {} as const;
const anyObject = { type: 'object', additionalProperties: true } as const;

export const STATUS_NAMES = ['WAITING', 'RUNNING', 'COMPLETED', 'FAILED', 'SUSPENDED'] as const;

export const JOB_SUMMARY = {
  $id: 'JobSummary',
  type: 'object',
  description: 'A job as listings show it (bulky columns left to GET /jobs/{id}).',
  properties: {
    id: integer,
    jobType: text,
    status: { type: 'string', enum: STATUS_NAMES },
    state: { type: 'string', description: 'The django-db-queue state: NEW, READY, PROCESSING, COMPLETED, FAILED or SUSPENDED' },
    queueName: text,
    priority: integer,
    attemptCount: integer,
    maxRetries: integer,
    runnerDeaths: integer,
    step: integer,
    dateCreated: time,
    dateStarted: nullableTime,
    dateFinished: nullableTime,
    scheduledStart: nullableTime,
    leaseExpires: nullableTime,
    claimedBy: nullableText,
    requester: nullableText,
    lastError: nullableText,
    lastOops: nullableText,
    resourceType: nullableText,
    resourceName: nullableText,
  },
  required: ['id', 'jobType', 'status', 'state', 'queueName', 'priority', 'attemptCount', 'maxRetries', 'runnerDeaths', 'step', 'dateCreated'],
} as const;

export const OOPS_SUMMARY = {
  $id: 'OopsSummary',
  type: 'object',
  properties: { id: text, time, type: text, value: text, reporter: text },
  required: ['id', 'time', 'type', 'value', 'reporter'],
} as const;

export const ADMIN_LOG_ROW = {
  $id: 'AdminLogRow',
  type: 'object',
  description: "An operator's change (admin_log).",
  properties: { id: integer, dateLogged: time, operator: text, action: text, job: { type: ['integer', 'null'] }, oldStatus: nullableText, newStatus: nullableText, detail: nullableText },
  required: ['id', 'dateLogged', 'operator', 'action'],
} as const;

export const JOB_LISTING = {
  type: 'object',
  properties: {
    jobs: { type: 'array', items: { $ref: 'JobSummary#' } },
    nextAfterId: { type: ['integer', 'null'], description: 'Pass as afterId for the next page; null on the last page.' },
  },
  required: ['jobs', 'nextAfterId'],
} as const;

export const JOB_DETAILS = {
  type: 'object',
  properties: {
    job: { $ref: 'JobSummary#' },
    jsonData: anyJson,
    workspace: anyJson,
    result: anyJson,
    log: nullableText,
    domainRows: { type: 'array', items: { type: 'object', properties: { table: text, row: { type: ['object', 'null'], additionalProperties: true }, error: text }, required: ['table'] } },
    oops: { type: ['object', 'null'], properties: { id: text, report: { anyOf: [{ $ref: 'OopsSummary#' }, { type: 'null' }] } } },
    history: { type: 'array', items: { $ref: 'AdminLogRow#' } },
    columns: anyObject,
  },
  required: ['job', 'domainRows', 'history', 'columns'],
} as const;

export const JOB_CHANGE = {
  type: 'object',
  properties: {
    action: { type: 'string', enum: ['retry', 'suspend', 'resume', 'cancel'] },
    oldStatus: { type: 'string', enum: STATUS_NAMES },
    job: { $ref: 'JobSummary#' },
    operator: text,
    logId: integer,
    dateLogged: time,
  },
  required: ['action', 'oldStatus', 'job', 'operator', 'logId', 'dateLogged'],
} as const;

export const PRUNE_REPORT = {
  type: 'object',
  properties: { deleted: integer, cutoff: time, stopped: { type: 'boolean' }, logId: integer },
  required: ['deleted', 'cutoff', 'logId'],
} as const;

export const UNSERVED_REPORT = {
  type: 'object',
  properties: {
    jobTypes: { type: 'array', items: { type: 'object', properties: { jobType: text, count: integer, ids: { type: 'array', items: integer } }, required: ['jobType', 'count', 'ids'] } },
    servedTypes: { type: 'array', items: text },
    unknownSources: { type: 'array', items: text },
  },
  required: ['jobTypes', 'servedTypes', 'unknownSources'],
} as const;

export const OOPS_LISTING = {
  type: 'object',
  properties: { reports: { type: 'array', items: { $ref: 'OopsSummary#' } }, more: { type: 'boolean' } },
  required: ['reports', 'more'],
} as const;

export const OOPS_REPORT = {
  type: 'object',
  properties: {
    id: text, type: text, value: text, traceback: text, time, hostname: text, reporter: text,
    req_vars: { type: 'array', items: { type: 'array', items: text } },
  },
  required: ['id', 'type', 'value', 'time', 'reporter'],
} as const;

export const CREATED_JOB = {
  type: 'object',
  properties: {
    job: { $ref: 'JobSummary#' },
    workspace: anyObject,
    predictedExists: { type: 'boolean', description: 'Jobs on resources: whether the resource is predicted to exist when the job runs' },
    decidedBy: { type: 'integer', description: 'Jobs on resources: the pending CREATE or DELETE job that decided the prediction (absent when the resource type did)' },
  },
  required: ['job'],
} as const;

/** A job on a resource refused at enqueue (404 predicted missing, 409 already exists): it was
 * recorded, FAILED with the message as its error, and never runs. */
export const REFUSED_JOB = {
  type: 'object',
  properties: { error: text, message: text, jobId: integer, job: { $ref: 'JobSummary#' } },
  required: ['error', 'message', 'jobId', 'job'],
} as const;

export const SHARED_SCHEMAS = [JOB_SUMMARY, OOPS_SUMMARY, ADMIN_LOG_ROW];
