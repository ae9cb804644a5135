// The admin service layer: what operators do with jobs, shared by cronscripts/jobs.ts and the
// HTTP API. Every function takes the connection (a pg client) it works on and returns plain
// JSON-serialisable objects; errors are typed (./errors.ts).
export { listJobs, LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, type JobFilters, type JobPage, type JobListing } from './listJobs.ts';
export { showJob, type JobDetails, type DomainRow, type ShowJobOptions } from './showJob.ts';
export { type JobSummary } from './jobSummary.ts';
export { changeJobStatus, retryJob, suspendJob, resumeJob, cancelJob, actionAllowedFrom, type JobAction, type JobChange, type ChangeOptions } from './changeJobStatus.ts';
export { pruneOldJobs, pruneOldOops, type JobPruneReport, type OopsPruneReport } from './pruneAsOperator.ts';
export { unservedJobTypes, type UnservedReport } from './unservedJobTypes.ts';
export { listOopsReports, showOops, oopsSummary, type OopsSummary, type OopsListing, type OopsListOptions } from './oopsReports.ts';
export { listAdminLog, type AdminLogRow } from './adminLog.ts';
export { type Operator } from './operator.ts';
export { JobNotFound, OopsNotFound, BadAdminRequest, JobBusy, InvalidTransition } from './errors.ts';
