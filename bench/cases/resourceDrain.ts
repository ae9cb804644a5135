// Cases n and o, jobsystem alone, one measurement: 4 JobRunners in one process drain
//   - plain: NoopJobs on a table with no job on a resource;
//   - resources: as many jobs on resources, enqueued round the resources (interleaved);
//   - plain with resource jobs waiting: the plain NoopJobs again, on a copy of the table
//     where the resource jobs wait in another queue ('res'), untouched.
// n is resources vs plain (the resource rule's cost when every job has a resource); o is
// plain with vs plain without the waiting resource jobs (the claim of a plain job does not get
// slower), judged on the two plain runs of each repetition, made back to back.
import * as jobsystem from '../jobsystem.ts';
import { measure, newSeries, scaled, type BenchContext, type CaseResult, type Sample } from '../harness.ts';
import { settle } from '../postgres.ts';
import { checkQueueDrained, drainInProcess, plainSource, prepareResourceTemplate, RESOURCE_QUEUE, RESOURCE_TEMPLATE, resourceSource, RUNNERS } from '../resourceJobs.ts';
import { median } from '../summary.ts';

const RUNNERS_SETUP = `${RUNNERS} JobRunners in one process (a connection pool each, the [job_runner] defaults: batch_size 50, concurrency 1), each until a claim finds nothing, again while jobs are left`;

export async function resourceDrain(context: BenchContext): Promise<CaseResult[]> {
  const jobs = scaled(context, 20_000);
  const resources = Math.max(2, scaled(context, 1_000));
  const n: CaseResult = {
    id: 'n',
    title: `drain by ${RUNNERS} runners: on resources vs plain (jobsystem only)`,
    unit: 'jobs/s',
    better: 'higher',
    jobs,
    columns: { jobsystem: 'on resources', graphile: 'plain' },
    jobsystem: newSeries(`${jobs.toLocaleString('en-US')} NoopResourceJobs over ${resources} resources (${Math.round(jobs / resources)} each, enqueued round the resources through NoopResourceJob.enqueue), queue '${RESOURCE_QUEUE}'; ${RUNNERS_SETUP}`),
    graphile: newSeries(`${jobs.toLocaleString('en-US')} NoopJobs (NoopJob.createMany), queue 'default', no job on a resource in the table; the same runners`),
    notes: [
      'graphile-worker has no resource rule: the second column is jobsystem\'s plain drain, the ratio on resources / plain.',
      'A resource\'s next job cannot be claimed before its job ahead commits; each job on a resource also pays its resource columns (one statement per claimed batch), the `start` notification, the result\'s UPDATE and the events trigger.',
    ],
  };
  const o: CaseResult = {
    id: 'o',
    title: `plain drain with ${jobs.toLocaleString('en-US')} resource jobs waiting vs without (jobsystem only)`,
    unit: 'jobs/s',
    better: 'higher',
    jobs,
    columns: { jobsystem: 'with resource jobs', graphile: 'without' },
    jobsystem: newSeries(`case n's plain drain on a copy of the table where case n's ${jobs.toLocaleString('en-US')} resource jobs wait in queue '${RESOURCE_QUEUE}'`),
    graphile: newSeries('case n\'s plain drain (the same runs)'),
    notes: ['graphile-worker has no resource rule: the second column is jobsystem\'s plain drain without resource jobs in the table; judged on the two plain runs of each repetition, made back to back, alternating which goes first.'],
  };
  const made = await prepareResourceTemplate(context.admin, jobs, resources);
  n.notes.push(`the template of the jobs on resources took ${(made / 1000).toFixed(1)} s to enqueue (1,000 jobs per transaction; not timed in the case).`);

  const plainRun = async (template: string | undefined): Promise<Sample> => {
    const url = await jobsystem.freshDatabase(context.admin, template);
    await jobsystem.enqueue(url, jobs);
    await settle(url);
    const ms = await drainInProcess(url, plainSource, ['default'], jobs);
    await checkQueueDrained(url, 'default', jobs);
    return { value: jobs / (ms / 1000), wallMs: ms };
  };
  const resourceRun = async (): Promise<Sample> => {
    const url = await jobsystem.freshDatabase(context.admin, RESOURCE_TEMPLATE);
    await settle(url);
    const ms = await drainInProcess(url, resourceSource, [RESOURCE_QUEUE], jobs);
    await checkQueueDrained(url, RESOURCE_QUEUE, jobs);
    return { value: jobs / (ms / 1000), wallMs: ms };
  };
  const shares: number[] = [];
  for (let rep = 1; rep <= context.repeat; rep++) {
    // The two plain runs back to back (which goes first alternates), the resource run apart.
    const plain = async (withResources: boolean) => withResources
      ? measure(context, 'o with', rep, o.jobsystem, () => plainRun(RESOURCE_TEMPLATE))
      : measure(context, 'n/o plain', rep, n.graphile, () => plainRun(undefined));
    const resourceDrained = () => measure(context, 'n resources', rep, n.jobsystem, resourceRun);
    let without: Sample | null;
    let withResources: Sample | null;
    if (rep % 2 === 1) {
      without = await plain(false);
      withResources = await plain(true);
      await resourceDrained();
    } else {
      await resourceDrained();
      withResources = await plain(true);
      without = await plain(false);
    }
    if (without) o.graphile.samples.push(without);
    if (without && withResources) shares.push(withResources.value / without.value);
  }
  o.extra = { pairedShares: shares };
  const paired = median(shares);
  if (paired !== null) o.notes.push(`with / without per repetition: ${shares.map((share) => share.toFixed(2)).join(', ')} (median ${paired.toFixed(2)}).`);
  return [n, o];
}
